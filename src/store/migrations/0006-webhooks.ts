import { type Kysely, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.

export async function up(db: Kysely<any>): Promise<void> {
  // Outbound webhook subscriptions. The secret is sealed (the server must HMAC with it), bound
  // to the row id as additional data (docs/adr/0005-secrets-at-rest.md).
  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('webhook_subscriptions_tenant_idx')
    .on('webhook_subscriptions')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();

  // One row per (subscription, event): the delivery's state. Attempts are logged separately.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('subscription_id', 'text', (c) =>
      c.notNull().references('webhook_subscriptions.id').onDelete('cascade'),
    )
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    // The retry budget (attempts, age) counts from here; a manual redelivery restarts it.
    .addColumn('budget_attempts', 'integer', (c) => c.notNull())
    .addColumn('budget_since', 'bigint', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .addUniqueConstraint('webhook_deliveries_event_uq', ['subscription_id', 'event_id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
  // Per-device ordering: "is an earlier event of this device not delivered yet?"
  await db.schema
    .createIndex('webhook_deliveries_order_idx')
    .on('webhook_deliveries')
    .columns(['subscription_id', 'device_id', 'event_id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_updated_idx')
    .on('webhook_deliveries')
    .columns(['status', 'updated_at'])
    .execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('delivery_id', 'text', (c) =>
      c.notNull().references('webhook_deliveries.id').onDelete('cascade'),
    )
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('webhook_attempts_pk', ['delivery_id', 'attempt'])
    .execute();

  // One row, locked by the process fanning events out, so fan-out runs one batch at a time.
  await db.schema
    .createTable('webhook_fanout')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('ran_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('webhook_fanout').values({ id: 1, ran_at: 0 }).execute();

  // Allocation webhooks (custom allocation before admission). Secret sealed as above.
  await db.schema
    .createTable('allocation_webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('allocation_webhooks_tenant_idx')
    .on('allocation_webhooks')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();

  // The outbox gains a "fanned out" mark: events still to be fanned out to subscriptions are
  // the (small) partial index below. Events recorded before this migration count as done.
  await db.schema.alterTable('events').addColumn('fanned_out_at', 'bigint').execute();
  await db.updateTable('events').set({ fanned_out_at: sql`created_at` }).execute();
  await db.schema
    .createIndex('events_fanout_pending_idx')
    .on('events')
    .column('id')
    .where(sql.ref('fanned_out_at'), 'is', null)
    .execute();
  // Audit log queries by device and by type.
  await db.schema
    .createIndex('events_tenant_device_idx')
    .on('events')
    .columns(['tenant_id', 'device_id', 'id'])
    .execute();
  await db.schema
    .createIndex('events_tenant_type_idx')
    .on('events')
    .columns(['tenant_id', 'type', 'id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const i of ['events_tenant_type_idx', 'events_tenant_device_idx', 'events_fanout_pending_idx']) {
    await db.schema.dropIndex(i).execute();
  }
  await db.schema.alterTable('events').dropColumn('fanned_out_at').execute();
  for (const t of [
    'allocation_webhooks',
    'webhook_fanout',
    'webhook_attempts',
    'webhook_deliveries',
    'webhook_subscriptions',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}

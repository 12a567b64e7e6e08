import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('bootstrap_channels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('bootstrap_channels_name_uq', ['tenant_id', 'name'])
    .execute();

  // One row per config; the config is also the Magistrala "client" (id = client_id). Secrets are
  // only stored sealed (secret box) or as keyed hashes, never in clear (docs/adr/0008-bootstrap.md).
  await db.schema
    .createTable('bootstrap_configs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('external_key_hash', 'text', (c) => c.notNull())
    .addColumn('external_key_sealed', 'text', (c) => c.notNull())
    .addColumn('client_secret_hash', 'text', (c) => c.notNull())
    .addColumn('client_secret_sealed', 'text', (c) => c.notNull())
    .addColumn('client_key_sealed', 'text')
    .addColumn('client_cert', 'text')
    .addColumn('ca_cert', 'text')
    .addColumn('name', 'text')
    .addColumn('content', 'text')
    .addColumn('content_template', 'text', (c) => c.notNull())
    .addColumn('state', 'integer', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.references('devices.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('bootstrap_configs_external_id_uq', ['tenant_id', 'external_id'])
    .addUniqueConstraint('bootstrap_configs_name_uq', ['tenant_id', 'name'])
    // One config per device; also the index behind the foreign key (device deletes look it up).
    .addUniqueConstraint('bootstrap_configs_device_uq', ['device_id'])
    .execute();
  // The Magistrala device route carries no tenant: it looks the external id up across tenants.
  await db.schema
    .createIndex('bootstrap_configs_external_id_idx')
    .on('bootstrap_configs')
    .column('external_id')
    .execute();
  await db.schema
    .createIndex('bootstrap_configs_tenant_idx')
    .on('bootstrap_configs')
    .columns(['tenant_id', 'id'])
    .execute();

  // Which channels a config lists, and whether its client is connected to each (explicit state).
  await db.schema
    .createTable('bootstrap_connections')
    .addColumn('config_id', 'text', (c) => c.notNull().references('bootstrap_configs.id').onDelete('cascade'))
    .addColumn('channel_id', 'text', (c) =>
      c.notNull().references('bootstrap_channels.id').onDelete('cascade'),
    )
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('bootstrap_connections_pk', ['config_id', 'channel_id'])
    .execute();
  await db.schema
    .createIndex('bootstrap_connections_channel_idx')
    .on('bootstrap_connections')
    .column('channel_id')
    .execute();

  // Bootstrap v2 challenges: single use (deleted when answered), short-lived.
  await db.schema
    .createTable('bootstrap_challenges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('config_id', 'text')
    .addColumn('server_nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('bootstrap_challenges_expires_idx')
    .on('bootstrap_challenges')
    .column('expires_at')
    .execute();

  // Failed bootstrap attempts per external id and per source address (rate limiting).
  await db.schema
    .createTable('bootstrap_attempts')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locks', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'bootstrap_attempts',
    'bootstrap_challenges',
    'bootstrap_connections',
    'bootstrap_configs',
    'bootstrap_channels',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}

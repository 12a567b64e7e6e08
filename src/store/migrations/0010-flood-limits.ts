import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
// Limits against floods and guessing (docs/limits.md):
// - failure_counters: failed attempts per key (login and bootstrap; per subject and source
//   address, per source address, per subject), shared by every process of a scale-out install.
//   It replaces bootstrap_attempts, whose keys (external id alone, address alone) are no longer
//   used; its rows were only counters, so nothing is carried over.
// - auth_sets by (tenant, status): the cap on pending auth sets per tenant counts them on every
//   auth request that would add one, so that count must be an index range, not a table scan.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bootstrap_attempts').execute();
  await db.schema
    .createTable('failure_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locks', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .execute();
  // Stale counters are purged by age.
  await db.schema
    .createIndex('failure_counters_last_failure_idx')
    .on('failure_counters')
    .column('last_failure_at')
    .execute();
  await db.schema
    .createIndex('auth_sets_tenant_status_idx')
    .on('auth_sets')
    .columns(['tenant_id', 'status'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('auth_sets_tenant_status_idx').execute();
  await db.schema.dropTable('failure_counters').execute();
  await db.schema
    .createTable('bootstrap_attempts')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('locks', 'integer', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
    .execute();
}

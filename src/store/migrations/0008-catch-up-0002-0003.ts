import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// Why this migration exists: 0002-inventory and 0003-deployments were edited after they had
// landed, and Kysely records a migration by name only, so a database that ran their first text
// never got what the edits added (docs/adr/0012-frozen-migrations.md):
// - 0002 (landed in fc30f6b) gained the inventory_digests table in c82dd5e;
// - 0003 (landed in 9bf71ed) got, in 1da20eb, a fourth column (deployment_id) in
//   device_deployments_device_idx and a new index device_deployments_active_idx.
// This brings such a database to exactly the schema a fresh one gets from 0001-0007. Every step is
// idempotent (IF [NOT] EXISTS), so it is right on a database of any of those histories and may run
// again after a crash half-way (SQLite runs DDL outside a transaction).
// The statements repeat today's 0002/0003 definitions; test/store/migrations-schema.test.ts
// migrates the as-landed history and compares it with a fresh database on both dialects.

export async function up(db: Kysely<any>): Promise<void> {
  // Digest of the last full report per device and scope (skips unchanged inventory reports).
  await db.schema
    .createTable('inventory_digests')
    .ifNotExists()
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_digests_pk', ['device_id', 'scope'])
    .execute();

  // An index of this name exists on every such database, with three or four columns; there is no
  // portable way to read its columns here, so it is built again. That costs one index build over
  // device_deployments, once, at the upgrade (the table is locked for writes meanwhile).
  await db.schema.dropIndex('device_deployments_device_idx').ifExists().execute();
  await db.schema
    .createIndex('device_deployments_device_idx')
    .on('device_deployments')
    .columns(['device_id', 'is_active', 'created_at', 'deployment_id'])
    .execute();

  // Only one definition of this index was ever shipped: create it where it is missing.
  await db.schema
    .createIndex('device_deployments_active_idx')
    .ifNotExists()
    .on('device_deployments')
    .columns(['deployment_id', 'is_active'])
    .execute();
}

// Nothing to undo: what up() creates is part of the schema 0002 and 0003 declare today, and
// dropping it would take it from databases that got it from those migrations.
export async function down(_db: Kysely<any>): Promise<void> {}

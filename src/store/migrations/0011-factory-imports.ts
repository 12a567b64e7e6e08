import { type Kysely, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
// Factory provisioning (docs/factory-manifests.md):
// - factories: the public keys factory stations sign manifests with, per tenant; a key (by its
//   fingerprint) and a name are registered once per tenant.
// - device_imports: one bulk preauthorization of a manifest, run as a resumable job. `done_line`
//   is the checkpoint: every manifest line up to it is committed, in the same transaction as the
//   devices it created. At most one unfinished import per manifest and tenant, so a rerun after a
//   crash finds and finishes the same job instead of starting a second one.
// - device_import_problems: the rows that were not imported (conflict, invalid), the error report.
// - devices.import_id/import_line/factory_id: where an imported device came from.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('factories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('key_type', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('factories_tenant_fingerprint_uq')
    .unique()
    .on('factories')
    .columns(['tenant_id', 'fingerprint'])
    .execute();
  await db.schema
    .createIndex('factories_tenant_name_uq')
    .unique()
    .on('factories')
    .columns(['tenant_id', 'name'])
    .execute();

  await db.schema
    .createTable('device_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('manifest_sha256', 'text', (c) => c.notNull())
    .addColumn('manifest_bytes', 'bigint', (c) => c.notNull())
    .addColumn('lines_total', 'bigint', (c) => c.notNull())
    .addColumn('factory_id', 'text')
    .addColumn('blob_key', 'text')
    .addColumn('done_line', 'bigint', (c) => c.notNull())
    .addColumn('rows_done', 'bigint', (c) => c.notNull())
    .addColumn('created', 'bigint', (c) => c.notNull())
    .addColumn('unchanged', 'bigint', (c) => c.notNull())
    .addColumn('conflicts', 'bigint', (c) => c.notNull())
    .addColumn('invalid', 'bigint', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('device_imports_unfinished_uq')
    .unique()
    .on('device_imports')
    .columns(['tenant_id', 'manifest_sha256'])
    .where(sql.ref('status'), 'in', sql`('queued', 'running')`)
    .execute();
  await db.schema
    .createIndex('device_imports_tenant_created_idx')
    .on('device_imports')
    .columns(['tenant_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('device_imports_runnable_idx')
    .on('device_imports')
    .columns(['status', 'lease_until'])
    .execute();

  await db.schema
    .createTable('device_import_problems')
    .addColumn('import_id', 'text', (c) => c.notNull())
    .addColumn('line', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text')
    .addPrimaryKeyConstraint('device_import_problems_pk', ['import_id', 'line'])
    .execute();

  await db.schema.alterTable('devices').addColumn('import_id', 'text').execute();
  await db.schema.alterTable('devices').addColumn('import_line', 'bigint').execute();
  await db.schema.alterTable('devices').addColumn('factory_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('devices').dropColumn('factory_id').execute();
  await db.schema.alterTable('devices').dropColumn('import_line').execute();
  await db.schema.alterTable('devices').dropColumn('import_id').execute();
  await db.schema.dropTable('device_import_problems').execute();
  await db.schema.dropTable('device_imports').execute();
  await db.schema.dropTable('factories').execute();
}

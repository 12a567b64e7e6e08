import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('artifacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('device_types', 'text', (c) => c.notNull())
    .addColumn('info', 'text', (c) => c.notNull())
    .addColumn('signed', 'integer', (c) => c.notNull())
    .addColumn('updates', 'text', (c) => c.notNull())
    .addColumn('provides', 'text', (c) => c.notNull())
    .addColumn('depends', 'text', (c) => c.notNull())
    .addColumn('clears_provides', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('artifacts_tenant_name_idx')
    .on('artifacts')
    .columns(['tenant_id', 'name'])
    .execute();
  await db.schema
    .createIndex('artifacts_tenant_modified_idx')
    .on('artifacts')
    .columns(['tenant_id', 'modified_at'])
    .execute();

  // One row per combination of an artifact's depends values (device_type × other depends):
  // two artifacts of one name may not share a combination (Mender's duplicate rule).
  await db.schema
    .createTable('artifact_depends_keys')
    .addColumn('artifact_id', 'text', (c) => c.notNull().references('artifacts.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('depends_key', 'text', (c) => c.notNull())
    .addColumn('device_type', 'text', (c) => c.notNull())
    .addUniqueConstraint('artifact_depends_keys_uq', ['tenant_id', 'name', 'depends_key'])
    .execute();
  await db.schema
    .createIndex('artifact_depends_keys_artifact_idx')
    .on('artifact_depends_keys')
    .column('artifact_id')
    .execute();

  await db.schema
    .createTable('deployments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('artifact_name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('force_installation', 'integer', (c) => c.notNull())
    .addColumn('max_devices', 'integer', (c) => c.notNull())
    .addColumn('groups', 'text', (c) => c.notNull())
    .addColumn('constructor_sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('deployments_tenant_created_idx')
    .on('deployments')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('deployments_tenant_status_idx')
    .on('deployments')
    .columns(['tenant_id', 'status', 'created_at'])
    .execute();

  await db.schema
    .createTable('device_deployments')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('substate', 'text')
    .addColumn('is_active', 'integer', (c) => c.notNull())
    .addColumn('artifact_id', 'text')
    .addColumn('provides', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('log_available', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('device_deployments_pk', ['deployment_id', 'device_id'])
    .execute();
  // Covers a device's poll: its oldest active row, in (created_at, deployment_id) order.
  await db.schema
    .createIndex('device_deployments_device_idx')
    .on('device_deployments')
    .columns(['device_id', 'is_active', 'created_at', 'deployment_id'])
    .execute();
  // "Is any device of this deployment still active?" after every status change.
  await db.schema
    .createIndex('device_deployments_active_idx')
    .on('device_deployments')
    .columns(['deployment_id', 'is_active'])
    .execute();
  await db.schema
    .createIndex('device_deployments_status_idx')
    .on('device_deployments')
    .columns(['deployment_id', 'status'])
    .execute();

  await db.schema
    .createTable('deployment_logs')
    .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('messages', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_logs_pk', ['deployment_id', 'device_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'deployment_logs',
    'device_deployments',
    'deployments',
    'artifact_depends_keys',
    'artifacts',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}

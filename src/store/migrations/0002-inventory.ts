import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('inventory_attributes')
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_attributes_pk', ['device_id', 'scope', 'name'])
    .execute();
  await db.schema
    .createIndex('inventory_attributes_tenant_idx')
    .on('inventory_attributes')
    .columns(['tenant_id', 'scope', 'name'])
    .execute();
  // Digest of the last full report per device and scope: an unchanged report (the Mender client
  // re-sends its whole inventory every poll) then costs one indexed read and no write.
  await db.schema
    .createTable('inventory_digests')
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_digests_pk', ['device_id', 'scope'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('inventory_digests').execute();
  await db.schema.dropTable('inventory_attributes').execute();
}

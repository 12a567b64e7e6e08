import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
// Certificate-based admission (docs/adr/0011-certificate-admission.md): enrollment groups (one
// per CA: how identity is derived, what an admitted device gets), individual enrollments (pin or
// disable one registration id) and registration records (which enrollment admitted a device).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('enrollment_groups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ca_id', 'text', (c) => c.notNull().references('pki_cas.id'))
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('identity_attribute', 'text', (c) => c.notNull())
    .addColumn('identity_source', 'text', (c) => c.notNull())
    .addColumn('inventory_group', 'text')
    // JSON object of string → string.
    .addColumn('tags', 'text', (c) => c.notNull())
    // JSON: { content, content_template, channels, active } or null (no bootstrap config).
    .addColumn('bootstrap', 'text')
    .addColumn('allocation_webhook_id', 'text', (c) => c.references('allocation_webhooks.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('enrollment_groups_name_uq', ['tenant_id', 'name'])
    // The CA a certificate chains to selects the group: at most one group per CA.
    .addUniqueConstraint('enrollment_groups_ca_uq', ['tenant_id', 'ca_id'])
    .execute();
  await db.schema
    .createIndex('enrollment_groups_tenant_idx')
    .on('enrollment_groups')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('enrollment_individuals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('registration_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text', (c) => c.references('enrollment_groups.id').onDelete('cascade'))
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('certificate_fingerprint', 'text')
    .addColumn('inventory_group', 'text')
    .addColumn('tags', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('enrollment_individuals_reg_uq', ['tenant_id', 'registration_id'])
    .execute();
  await db.schema
    .createIndex('enrollment_individuals_tenant_idx')
    .on('enrollment_individuals')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('enrollment_individuals_group_idx')
    .on('enrollment_individuals')
    .column('group_id')
    .execute();

  await db.schema
    .createTable('enrollment_registrations')
    .addColumn('device_id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('registration_id', 'text', (c) => c.notNull())
    .addColumn('ca_id', 'text', (c) => c.notNull())
    .addColumn('group_id', 'text')
    .addColumn('individual_id', 'text')
    .addColumn('cert_subject', 'text', (c) => c.notNull())
    .addColumn('cert_serial', 'text', (c) => c.notNull())
    .addColumn('cert_fingerprint', 'text', (c) => c.notNull())
    .addColumn('cert_not_after', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('enrollment_registrations_tenant_idx')
    .on('enrollment_registrations')
    .columns(['tenant_id', 'updated_at', 'device_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['enrollment_registrations', 'enrollment_individuals', 'enrollment_groups']) {
    await db.schema.dropTable(t).execute();
  }
}

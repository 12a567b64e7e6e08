import { type Kysely, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
// PKI: registered CAs (uploaded with proof of possession, or the tenant's built-in CA), the
// certificates the built-in CA issued (revocation lives here), and EST enrollment credentials
// (docs/adr/0009-pki-and-mtls.md).

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pki_cas')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('cert_pem', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    // Digest of the subject name: the chain verifier looks a certificate's issuer up by it.
    .addColumn('subject_hash', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('verification_code', 'text')
    .addColumn('verification_code_expires_at', 'bigint')
    .addColumn('verified_at', 'bigint')
    // Built-in CA only: the private key, sealed with the master key (AAD = tenant + CA id).
    .addColumn('private_key_sealed', 'text')
    .addColumn('cert_validity_days', 'integer')
    // The current CRL (DER, base64): generated for the built-in CA, uploaded for others.
    .addColumn('crl_der', 'text')
    .addColumn('crl_this_update', 'bigint')
    .addColumn('crl_next_update', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('pki_cas_fingerprint_uq', ['tenant_id', 'fingerprint'])
    .execute();
  await db.schema.createIndex('pki_cas_subject_idx').on('pki_cas').column('subject_hash').execute();
  await db.schema
    .createIndex('pki_cas_tenant_idx')
    .on('pki_cas')
    .columns(['tenant_id', 'created_at'])
    .execute();
  // At most one built-in CA per tenant.
  await db.schema
    .createIndex('pki_cas_builtin_uq')
    .unique()
    .on('pki_cas')
    .column('tenant_id')
    .where(sql.ref('kind'), '=', 'builtin')
    .execute();

  await db.schema
    .createTable('pki_certificates')
    .addColumn('ca_id', 'text', (c) => c.notNull().references('pki_cas.id'))
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('cn', 'text')
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('cert_pem', 'text', (c) => c.notNull())
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('not_after', 'bigint', (c) => c.notNull())
    .addColumn('issued_via', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'text')
    .addColumn('device_id', 'text')
    .addColumn('replaces_serial', 'text')
    .addColumn('revoked_at', 'bigint')
    .addColumn('revocation_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('pki_certificates_pk', ['ca_id', 'serial'])
    .addUniqueConstraint('pki_certificates_serial_uq', ['tenant_id', 'serial'])
    .execute();
  await db.schema
    .createIndex('pki_certificates_tenant_idx')
    .on('pki_certificates')
    .columns(['tenant_id', 'created_at'])
    .execute();

  // EST enrollment credentials: HTTP Basic name + secret; the secret is stored only hashed.
  await db.schema
    .createTable('pki_enrollment_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('max_uses', 'integer')
    .addColumn('uses', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addUniqueConstraint('pki_enrollment_credentials_name_uq', ['tenant_id', 'name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['pki_enrollment_credentials', 'pki_certificates', 'pki_cas']) {
    await db.schema.dropTable(t).execute();
  }
}

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.

const DEFAULT_TENANT_ID = '00000000-0000-4000-8000-000000000000';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('max_devices', 'integer', (c) => c.notNull().defaultTo(-1))
    .addColumn('tenant_token_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db
    .insertInto('tenants')
    .values({
      id: DEFAULT_TENANT_ID,
      name: 'default',
      max_devices: -1,
      tenant_token_id: randomUUID(),
      created_at: Date.now(),
    })
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('login_at', 'bigint')
    .execute();
  await db.schema.createIndex('users_tenant_idx').on('users').columns(['tenant_id', 'created_at']).execute();

  await db.schema
    .createTable('user_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addUniqueConstraint('user_tokens_user_name_uq', ['user_id', 'name'])
    .execute();
  await db.schema
    .createIndex('user_tokens_user_idx')
    .on('user_tokens')
    .columns(['user_id', 'kind', 'created_at'])
    .execute();

  await db.schema
    .createTable('devices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id'))
    .addColumn('id_data', 'text', (c) => c.notNull())
    .addColumn('id_data_sha256', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('check_in_at', 'bigint')
    .addUniqueConstraint('devices_identity_uq', ['tenant_id', 'id_data_sha256'])
    .execute();
  await db.schema
    .createIndex('devices_tenant_status_idx')
    .on('devices')
    .columns(['tenant_id', 'status', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('devices_tenant_created_idx')
    .on('devices')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();

  await db.schema
    .createTable('auth_sets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('pubkey', 'text', (c) => c.notNull())
    .addColumn('pubkey_sha256', 'text', (c) => c.notNull())
    .addColumn('key_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('auth_sets_device_key_uq', ['device_id', 'pubkey_sha256'])
    .execute();
  await db.schema
    .createIndex('auth_sets_tenant_key_idx')
    .on('auth_sets')
    .columns(['tenant_id', 'pubkey_sha256'])
    .execute();

  await db.schema
    .createTable('device_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('auth_set_id', 'text', (c) => c.notNull().references('auth_sets.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('device_tokens_auth_set_idx')
    .on('device_tokens')
    .columns(['auth_set_id', 'created_at'])
    .execute();
  await db.schema.createIndex('device_tokens_device_idx').on('device_tokens').column('device_id').execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('device_id', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_tenant_idx').on('events').columns(['tenant_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'events',
    'signing_keys',
    'device_tokens',
    'auth_sets',
    'devices',
    'user_tokens',
    'users',
    'tenants',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}

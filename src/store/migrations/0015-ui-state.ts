import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// What Mender's web UI keeps on the server besides devices and artifacts (issue 11,
// docs/compat/mender-ui.md):
// - tenant_settings, user_settings: useradm's `settings` (per tenant) and `settings/me` (per
//   user), a JSON object each, replaced whole and guarded by an ETag (If-Match). `etag` is random
//   per write; a conditional write compares it in its UPDATE, so of two writers with the same
//   If-Match one wins. Gone with their tenant or user.
// - release_tags, release_notes: what a release (the artifacts of one name) carries besides its
//   artifacts, set through deployments v2. A release exists while an artifact has its name; the
//   service removes these rows with its last artifact. (tenant_id, tag) lists the tenant's tags
//   and the releases of a tag.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tenant_settings')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('user_settings')
    .ifNotExists()
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('etag', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('release_tags')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('release_name', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_tags_pk', ['tenant_id', 'release_name', 'tag'])
    .execute();
  await db.schema
    .createIndex('release_tags_tag_idx')
    .ifNotExists()
    .on('release_tags')
    .columns(['tenant_id', 'tag', 'release_name'])
    .execute();
  await db.schema
    .createTable('release_notes')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.notNull())
    .addColumn('release_name', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('release_notes_pk', ['tenant_id', 'release_name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['release_notes', 'release_tags', 'user_settings', 'tenant_settings'])
    await db.schema.dropTable(t).ifExists().execute();
}

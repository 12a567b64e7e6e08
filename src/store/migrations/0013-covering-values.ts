import { type Kysely, PostgresIntrospector, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// Covering reads of attribute values on PostgreSQL (issue 10, docs/adr/0020-covering-values.md).
//
// PostgreSQL answers a query from an index alone (an index-only scan) only when every column the
// query names is stored in the index; an index on an expression of `value` (0012's
// inventory_attributes_value_idx, the first 64 characters) does not store `value`, so a group or
// tag filter matching 10,000 devices read 10,000 table pages. SQLite reads the same index as a
// covering one and needs nothing here.
// - inventory_attributes_short_value_idx (tenant_id, scope, name, value, device_id) over the
//   values shorter than 64 characters (nearly all of them: a value that short is its own key). An
//   equality with such a text (groups, tags, attribute filters) is a range of it, read without
//   the table. `COLLATE "C"`, as 0012's keys. Longer values stay with 0012's index.
// - Extended statistics on (scope, name, value): without them the planner multiplies the three
//   selectivities as if independent and guesses a group of 10,000 devices at a few hundred, then
//   looks each one up instead of walking the list's index.
// The table is analysed at the end, for the statistics.
//
// One transaction (the migrator's; see 0009). Idempotent.

export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.introspection instanceof PostgresIntrospector)) return;
  const run = async (tx: Kysely<any>) => {
    await sql`create index if not exists inventory_attributes_short_value_idx
      on inventory_attributes (tenant_id, scope, name, (value collate "C"), device_id)
      where length(value) < 64`.execute(tx);
    await sql`create statistics if not exists inventory_attributes_value_stats (dependencies, mcv)
      on scope, name, value from inventory_attributes`.execute(tx);
    await sql`analyze inventory_attributes`.execute(tx);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!(db.introspection instanceof PostgresIntrospector)) return;
  await sql`drop statistics if exists inventory_attributes_value_stats`.execute(db);
  await sql`drop index if exists inventory_attributes_short_value_idx`.execute(db);
}

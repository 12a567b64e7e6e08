import { type Kysely, PostgresIntrospector, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// Device lists, counts, filters and searches at a million devices (issue 10,
// docs/adr/0018-device-scale.md).
//
// device_counts: the number of devices per (tenant, status), kept exact by triggers on `devices`,
// so max_devices on every accept and the unfiltered or status-only totals (X-Total-Count,
// devices/count) read a few rows instead of counting the tenant's devices. Triggers, not the
// code, because devices are written by several paths (admission, management, decommission,
// bulk imports with multi-row INSERTs, migrations) and processes; a trigger runs in the writing
// transaction, so the count commits or rolls back with the change, under any interleaving.
// - SQLite (one writer at a time): one row per (tenant, status), slot 0, row triggers.
// - PostgreSQL: a row per (tenant, status, slot), the slot being the writing backend's pid mod
//   64, and the count the sum over slots. Transactions running at the same time run in different
//   backends, so they update different rows and never wait for each other's counter (one counter
//   row per status would serialise every admission of a tenant until commit, and deadlock
//   transactions that move devices between two statuses in opposite directions). A slot may go
//   negative (a device counted in one slot, removed through another); the sum is exact.
//   Inserts and deletes are counted per statement (a multi-row INSERT of an import is one update
//   per status), status changes per row; updates that leave status and tenant alone (check-ins)
//   do not fire.
//
// Indexes:
// - inventory_attributes_value_idx (tenant_id, scope, name, key, device_id), key = the first 64
//   characters of the JSON value: group and tag filters, attribute equality filters, the group
//   list and a group's devices read a range of it. It replaces inventory_attributes_tenant_idx
//   (its prefix). The value is cut because a PostgreSQL btree entry must stay under 2704 bytes
//   and values may be 16 KiB; queries compare the key and then the whole value.
// - inventory_attributes_search_idx (tenant_id, lower-case key, device_id), only the values the
//   device search `q` looks at (inventory scope; identity scope except the status mirror): `q`
//   as the start of a value is a range of it.
//   On PostgreSQL both keys are `COLLATE "C"` (byte order, like SQLite's BINARY): a prefix is a
//   range only under a collation that orders by code point, whatever the database's default.
//   The table is analysed at the end on PostgreSQL, for the statistics of the new keys.
// - device_deployments_status_device_idx (deployment_id, status, device_id): a deployment's
//   devices filtered by status come out in device order (the list's order) without sorting
//   them all. It replaces device_deployments_status_idx (its prefix).
//
// One transaction (the migrator's; see 0009). Idempotent: a second run recreates the triggers
// and recounts.

const SLOTS = 64;

export async function up(db: Kysely<any>): Promise<void> {
  const run = async (tx: Kysely<any>) => {
    const pg = tx.introspection instanceof PostgresIntrospector;
    const key = (expr: string) => sql.raw(pg ? `${expr} collate "C"` : expr);

    await tx.schema
      .createTable('device_counts')
      .ifNotExists()
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('slot', 'integer', (c) => c.notNull())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('device_counts_pk', ['tenant_id', 'status', 'slot'])
      .execute();

    if (pg) await createPostgresTriggers(tx);
    else await createSqliteTriggers(tx);
    // After the triggers: on PostgreSQL, CREATE TRIGGER holds a lock on `devices` that keeps
    // writers out until this transaction commits, so the recount sees a table that no one changes
    // before the triggers take over. (SQLite: the migration's transaction is the only writer.)
    await tx.deleteFrom('device_counts').execute();
    await sql`insert into device_counts (tenant_id, status, slot, n)
      select tenant_id, status, 0, count(*) from devices group by tenant_id, status`.execute(tx);

    await tx.schema
      .createIndex('inventory_attributes_value_idx')
      .ifNotExists()
      .on('inventory_attributes')
      .columns(['tenant_id', 'scope', 'name'])
      .expression(key('substr(value, 1, 64)'))
      .column('device_id')
      .execute();
    await tx.schema.dropIndex('inventory_attributes_tenant_idx').ifExists().execute();
    await tx.schema
      .createIndex('inventory_attributes_search_idx')
      .ifNotExists()
      .on('inventory_attributes')
      .column('tenant_id')
      .expression(key('substr(lower(value), 1, 64)'))
      .column('device_id')
      .where(sql<boolean>`scope = 'inventory' or (scope = 'identity' and name <> 'status')`)
      .execute();

    await tx.schema
      .createIndex('device_deployments_status_device_idx')
      .ifNotExists()
      .on('device_deployments')
      .columns(['deployment_id', 'status', 'device_id'])
      .execute();
    await tx.schema.dropIndex('device_deployments_status_idx').ifExists().execute();
    // PostgreSQL keeps statistics of index expressions, gathered by ANALYZE only; until
    // autovacuum's next one (after 10% of the rows changed) the planner would guess the new keys.
    if (pg) await sql`analyze inventory_attributes`.execute(tx);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

const createSqliteTriggers = async (tx: Kysely<any>): Promise<void> => {
  const add = (tenant: string, status: string, n: number) =>
    `insert into device_counts (tenant_id, status, slot, n) values (${tenant}, ${status}, 0, ${n})
       on conflict (tenant_id, status, slot) do update set n = n + excluded.n;`;
  for (const name of ['devices_counts_insert', 'devices_counts_update', 'devices_counts_delete'])
    await sql`drop trigger if exists ${sql.ref(name)}`.execute(tx);
  await sql
    .raw(`create trigger devices_counts_insert after insert on devices begin
      ${add('new.tenant_id', 'new.status', 1)}
    end`)
    .execute(tx);
  await sql
    .raw(`create trigger devices_counts_update after update of status, tenant_id on devices
      when old.status is not new.status or old.tenant_id is not new.tenant_id begin
      ${add('old.tenant_id', 'old.status', -1)}
      ${add('new.tenant_id', 'new.status', 1)}
    end`)
    .execute(tx);
  await sql
    .raw(`create trigger devices_counts_delete after delete on devices begin
      ${add('old.tenant_id', 'old.status', -1)}
    end`)
    .execute(tx);
};

const createPostgresTriggers = async (tx: Kysely<any>): Promise<void> => {
  const upsert = `on conflict (tenant_id, status, slot) do update set n = device_counts.n + excluded.n`;
  await sql
    .raw(`create or replace function device_counts_insert() returns trigger language plpgsql as $$
    begin
      insert into device_counts (tenant_id, status, slot, n)
        select tenant_id, status, pg_backend_pid() % ${SLOTS}, count(*) from new_rows group by tenant_id, status
        ${upsert};
      return null;
    end $$`)
    .execute(tx);
  await sql
    .raw(`create or replace function device_counts_delete() returns trigger language plpgsql as $$
    begin
      insert into device_counts (tenant_id, status, slot, n)
        select tenant_id, status, pg_backend_pid() % ${SLOTS}, -count(*) from old_rows group by tenant_id, status
        ${upsert};
      return null;
    end $$`)
    .execute(tx);
  // The two rows in a fixed order, so two transactions that share a slot take their locks in
  // the same order.
  await sql
    .raw(`create or replace function device_counts_update() returns trigger language plpgsql as $$
    begin
      insert into device_counts (tenant_id, status, slot, n)
        select t, s, pg_backend_pid() % ${SLOTS}, d
        from (values (old.tenant_id, old.status, -1), (new.tenant_id, new.status, 1)) v (t, s, d)
        order by t, s
        ${upsert};
      return null;
    end $$`)
    .execute(tx);
  for (const name of ['devices_counts_insert', 'devices_counts_update', 'devices_counts_delete'])
    await sql`drop trigger if exists ${sql.ref(name)} on devices`.execute(tx);
  await sql`create trigger devices_counts_insert after insert on devices
    referencing new table as new_rows for each statement execute function device_counts_insert()`.execute(tx);
  await sql`create trigger devices_counts_update after update of status, tenant_id on devices
    for each row when (old.status is distinct from new.status or old.tenant_id is distinct from new.tenant_id)
    execute function device_counts_update()`.execute(tx);
  await sql`create trigger devices_counts_delete after delete on devices
    referencing old table as old_rows for each statement execute function device_counts_delete()`.execute(tx);
};

export async function down(db: Kysely<any>): Promise<void> {
  const pg = db.introspection instanceof PostgresIntrospector;
  for (const name of ['devices_counts_insert', 'devices_counts_update', 'devices_counts_delete']) {
    if (pg) await sql`drop trigger if exists ${sql.ref(name)} on devices`.execute(db);
    else await sql`drop trigger if exists ${sql.ref(name)}`.execute(db);
  }
  if (pg) {
    for (const fn of ['device_counts_insert', 'device_counts_update', 'device_counts_delete'])
      await sql`drop function if exists ${sql.ref(fn)}()`.execute(db);
  }
  await db.schema.dropTable('device_counts').ifExists().execute();
  await db.schema.dropIndex('inventory_attributes_search_idx').ifExists().execute();
  await db.schema.dropIndex('inventory_attributes_value_idx').ifExists().execute();
  await db.schema
    .createIndex('inventory_attributes_tenant_idx')
    .ifNotExists()
    .on('inventory_attributes')
    .columns(['tenant_id', 'scope', 'name'])
    .execute();
  await db.schema
    .createIndex('device_deployments_status_idx')
    .ifNotExists()
    .on('device_deployments')
    .columns(['deployment_id', 'status'])
    .execute();
  await db.schema.dropIndex('device_deployments_status_device_idx').ifExists().execute();
}

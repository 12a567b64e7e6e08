import { type Kysely, PostgresIntrospector, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// group_counts: the number of devices per (tenant, static group, device status), kept exact by
// triggers, so the total of a group filter with a status (the console's device list of a group,
// X-Total-Count) reads a few rows instead of each member's status (issue 10,
// docs/adr/0021-group-counts.md). Same shape and reasons as 0012's device_counts: triggers run
// in the writing transaction, whatever wrote; on PostgreSQL one row per (tenant, group, status,
// slot), the slot being the writing backend's pid mod 64, and the count the sum over slots.
//
// `group_value` is the group attribute's stored value (its JSON text), the tenant the
// attribute row's. A device counts when it has a row (scope 'system', name 'group') in
// inventory_attributes; its status is the device's. Three events change a count:
// - a group row inserted, deleted, or changed (value, device, tenant): the device's status is
//   read after the row is written. On PostgreSQL a BEFORE trigger first locks the device FOR
//   SHARE, so a status change of it in another transaction commits first (and is read), or
//   waits for this one (and its trigger then sees this row): no change is counted against a
//   status another transaction is replacing. Before the row is written, not after: a
//   transaction never waits for a device while holding a new group row another one may want;
// - a device's status changed: its group row moves from the old status to the new one;
// - a device deleted: a BEFORE DELETE trigger deletes its group row first, so that row's own
//   trigger counts it out while the device, and its status, still exist. (After the device is
//   gone, the foreign key's cascade would delete the row with no status left to read.) A group
//   row whose device no longer exists counts nothing, so nothing is counted out twice.
// Rows of one statement are written in key order, so two transactions sharing a slot lock them
// in the same order.
//
// One transaction (the migrator's; see 0009). Idempotent: a second run recreates the triggers
// and recounts.

const SLOTS = 64;
const GROUP = (row: 'new' | 'old') => `${row}.scope = 'system' and ${row}.name = 'group'`;
const CHANGED = (differs: string) =>
  ['tenant_id', 'device_id', 'scope', 'name', 'value']
    .map((c) => `old.${c} ${differs} new.${c}`)
    .join(' or ');
const TRIGGERS: [name: string, table: string][] = [
  ['inventory_group_counts_lock_insert', 'inventory_attributes'],
  ['inventory_group_counts_lock_update', 'inventory_attributes'],
  ['inventory_group_counts_lock_delete', 'inventory_attributes'],
  ['inventory_group_counts_insert', 'inventory_attributes'],
  ['inventory_group_counts_update', 'inventory_attributes'],
  ['inventory_group_counts_delete', 'inventory_attributes'],
  ['devices_group_counts_status', 'devices'],
  ['devices_group_counts_delete', 'devices'],
];
const FUNCTIONS = [
  'group_counts_lock_device',
  'group_counts_attribute',
  'group_counts_status',
  'group_counts_device_delete',
];

export async function up(db: Kysely<any>): Promise<void> {
  const run = async (tx: Kysely<any>) => {
    const pg = tx.introspection instanceof PostgresIntrospector;
    await tx.schema
      .createTable('group_counts')
      .ifNotExists()
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('group_value', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('slot', 'integer', (c) => c.notNull())
      .addColumn('n', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('group_counts_pk', ['tenant_id', 'group_value', 'status', 'slot'])
      .execute();
    await dropTriggers(tx, pg);
    if (pg) await createPostgresTriggers(tx);
    else await createSqliteTriggers(tx);
    // After the triggers (see 0012): on PostgreSQL, CREATE TRIGGER keeps writers of both tables
    // out until this transaction commits, so the recount sees tables no one changes.
    await tx.deleteFrom('group_counts').execute();
    await sql`insert into group_counts (tenant_id, group_value, status, slot, n)
      select a.tenant_id, a.value, d.status, 0, count(*)
      from inventory_attributes a join devices d on d.id = a.device_id
      where a.scope = 'system' and a.name = 'group'
      group by a.tenant_id, a.value, d.status`.execute(tx);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

const dropTriggers = async (tx: Kysely<any>, pg: boolean): Promise<void> => {
  for (const [name, table] of TRIGGERS) {
    if (pg) await sql`drop trigger if exists ${sql.ref(name)} on ${sql.table(table)}`.execute(tx);
    else await sql`drop trigger if exists ${sql.ref(name)}`.execute(tx);
  }
};

const createSqliteTriggers = async (tx: Kysely<any>): Promise<void> => {
  const upsert = `on conflict (tenant_id, group_value, status, slot) do update set n = n + excluded.n;`;
  // The group row `row` counted `n` at its device's status (nothing when the device is gone).
  const attribute = (row: 'new' | 'old', n: number) =>
    `insert into group_counts (tenant_id, group_value, status, slot, n)
       select ${row}.tenant_id, ${row}.value, d.status, 0, ${n} from devices d
       where d.id = ${row}.device_id and ${GROUP(row)} ${upsert}`;
  // The device's group row counted `n` at `status`.
  const device = (status: string, n: number) =>
    `insert into group_counts (tenant_id, group_value, status, slot, n)
       select a.tenant_id, a.value, ${status}, 0, ${n} from inventory_attributes a
       where a.device_id = old.id and a.scope = 'system' and a.name = 'group' ${upsert}`;
  const statements = [
    `create trigger inventory_group_counts_insert after insert on inventory_attributes
       when ${GROUP('new')} begin ${attribute('new', 1)} end`,
    `create trigger inventory_group_counts_update after update on inventory_attributes
       when (${GROUP('old')} or ${GROUP('new')}) and (${CHANGED('is not')}) begin
       ${attribute('old', -1)} ${attribute('new', 1)} end`,
    `create trigger inventory_group_counts_delete after delete on inventory_attributes
       when ${GROUP('old')} begin ${attribute('old', -1)} end`,
    `create trigger devices_group_counts_status after update of status on devices
       when old.status is not new.status begin
       ${device('old.status', -1)} ${device('new.status', 1)} end`,
    `create trigger devices_group_counts_delete before delete on devices begin
       delete from inventory_attributes where device_id = old.id and scope = 'system' and name = 'group';
     end`,
  ];
  for (const s of statements) await sql.raw(s).execute(tx);
};

const createPostgresTriggers = async (tx: Kysely<any>): Promise<void> => {
  const upsert = `on conflict (tenant_id, group_value, status, slot) do update set n = group_counts.n + excluded.n`;
  // One function for the three events of a group row: the old row counts out, the new one in.
  await sql
    .raw(`create or replace function group_counts_attribute() returns trigger language plpgsql as $$
    declare
      old_tenant text; old_group text; old_status text;
      new_tenant text; new_group text; new_status text;
    begin
      if tg_op <> 'INSERT' and ${GROUP('old')} then
        select status into old_status from devices where id = old.device_id;
        old_tenant := old.tenant_id;
        old_group := old.value;
      end if;
      if tg_op <> 'DELETE' and ${GROUP('new')} then
        select status into new_status from devices where id = new.device_id;
        new_tenant := new.tenant_id;
        new_group := new.value;
      end if;
      insert into group_counts (tenant_id, group_value, status, slot, n)
        select t, g, s, pg_backend_pid() % ${SLOTS}, sum(d)
        from (values (old_tenant, old_group, old_status, -1), (new_tenant, new_group, new_status, 1)) v (t, g, s, d)
        where s is not null
        group by t, g, s
        having sum(d) <> 0
        order by t, g, s
        ${upsert};
      return null;
    end $$`)
    .execute(tx);
  // Before a group row is written, its device is locked FOR SHARE (a status change of it in
  // another transaction commits first, or waits for this one): before, not in the AFTER trigger,
  // so a transaction never waits for a device while it holds a group row another one may want.
  await sql
    .raw(`create or replace function group_counts_lock_device() returns trigger language plpgsql as $$
    begin
      if tg_op <> 'INSERT' and ${GROUP('old')} then
        perform 1 from devices where id = old.device_id for share;
      end if;
      if tg_op <> 'DELETE' and ${GROUP('new')} then
        perform 1 from devices where id = new.device_id for share;
      end if;
      if tg_op = 'DELETE' then
        return old;
      end if;
      return new;
    end $$`)
    .execute(tx);
  await sql
    .raw(`create or replace function group_counts_status() returns trigger language plpgsql as $$
    begin
      insert into group_counts (tenant_id, group_value, status, slot, n)
        select a.tenant_id, a.value, v.s, pg_backend_pid() % ${SLOTS}, v.d
        from inventory_attributes a, (values (old.status, -1), (new.status, 1)) v (s, d)
        where a.device_id = old.id and a.scope = 'system' and a.name = 'group'
        order by a.tenant_id, a.value, v.s
        ${upsert};
      return null;
    end $$`)
    .execute(tx);
  await sql
    .raw(`create or replace function group_counts_device_delete() returns trigger language plpgsql as $$
    begin
      delete from inventory_attributes where device_id = old.id and scope = 'system' and name = 'group';
      return old;
    end $$`)
    .execute(tx);
  const statements = [
    `create trigger inventory_group_counts_lock_insert before insert on inventory_attributes
       for each row when (${GROUP('new')}) execute function group_counts_lock_device()`,
    `create trigger inventory_group_counts_lock_update before update on inventory_attributes
       for each row when ((${GROUP('old')} or ${GROUP('new')}) and (${CHANGED('is distinct from')}))
       execute function group_counts_lock_device()`,
    `create trigger inventory_group_counts_lock_delete before delete on inventory_attributes
       for each row when (${GROUP('old')}) execute function group_counts_lock_device()`,
    `create trigger inventory_group_counts_insert after insert on inventory_attributes
       for each row when (${GROUP('new')}) execute function group_counts_attribute()`,
    `create trigger inventory_group_counts_update after update on inventory_attributes
       for each row when ((${GROUP('old')} or ${GROUP('new')}) and (${CHANGED('is distinct from')}))
       execute function group_counts_attribute()`,
    `create trigger inventory_group_counts_delete after delete on inventory_attributes
       for each row when (${GROUP('old')}) execute function group_counts_attribute()`,
    `create trigger devices_group_counts_status after update of status on devices
       for each row when (old.status is distinct from new.status) execute function group_counts_status()`,
    `create trigger devices_group_counts_delete before delete on devices
       for each row execute function group_counts_device_delete()`,
  ];
  for (const s of statements) await sql.raw(s).execute(tx);
};

export async function down(db: Kysely<any>): Promise<void> {
  const pg = db.introspection instanceof PostgresIntrospector;
  await dropTriggers(db, pg);
  if (pg) for (const fn of FUNCTIONS) await sql`drop function if exists ${sql.ref(fn)}()`.execute(db);
  await db.schema.dropTable('group_counts').ifExists().execute();
}

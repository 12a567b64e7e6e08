import { type SqlBool, sql } from 'kysely';
import { dialectOf, rowLock } from '../store/dialect.js';
import { onRow } from '../store/row-check.js';
import type { Dialect, Executor } from '../store/store.js';
import { num } from '../store/store.js';
import { type AttributeValue, type Scope, writeDigest } from './inventory-repo.js';
import { VALUE_KEY_CHARS, valueEquals, valueKey } from './inventory-repo-value-key.js';

// Static groups: a device's group is its `system/group` attribute (a JSON string, like every
// attribute value), so the primary key (device_id, scope, name) makes "at most one group per
// device" a property of the table, and group filters are ordinary attribute filters.

const GROUP = { scope: 'system', name: 'group' } as const;
const TABLE = 'inventory_attributes';
const IN_CHUNK = 500;

const chunks = <T>(xs: T[], n = IN_CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

const groupRows = (db: Executor, tenantId: string) =>
  db
    .selectFrom('inventory_attributes')
    .where('tenant_id', '=', tenantId)
    .where('scope', '=', GROUP.scope)
    .where('name', '=', GROUP.name);

/** The group rows of listed devices: primary keys, the tenant checked on them (store/row-check.ts). */
const groupRowsOf = (db: Executor, tenantId: string, deviceIds: string[]) =>
  db
    .selectFrom('inventory_attributes')
    .where('device_id', 'in', deviceIds)
    .where('scope', '=', GROUP.scope)
    .where('name', '=', GROUP.name)
    .where(onRow('tenant_id'), '=', tenantId);

/** The rows of the members of `group`: a range of inventory_attributes_value_idx. */
const memberRows = (db: Executor, dialect: Dialect, tenantId: string, group: string) =>
  groupRows(db, tenantId).where(valueEquals(dialect, JSON.stringify(group), TABLE));

export const deviceExists = async (db: Executor, tenantId: string, deviceId: string): Promise<boolean> =>
  (await db
    .selectFrom('devices')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', deviceId)
    .executeTakeFirst()) !== undefined;

/**
 * Locks devices FOR SHARE, in id order (PostgreSQL; SQLite write transactions are serialised),
 * before their group rows are written: writing a group row locks its device so (migration 0014,
 * group_counts), and taking those locks first, in one order, keeps a writer from waiting for a
 * device while it holds a group row or inventory lock a device's status change needs next.
 * Returns the ids among `deviceIds` that are the tenant's devices.
 */
export const shareLockDevices = async (
  tx: Executor,
  tenantId: string,
  deviceIds: string[],
): Promise<string[]> => {
  const out: string[] = [];
  for (const part of chunks([...new Set(deviceIds)].sort())) {
    const rows = await tx
      .selectFrom('devices')
      .select('id')
      .where('id', 'in', part)
      .where(onRow('tenant_id'), '=', tenantId)
      .orderBy('id')
      .$call(rowLock(tx, 'share'))
      .execute();
    out.push(...rows.map((r) => r.id));
  }
  return out;
};

/** The static group of a device, if it has one. */
export const deviceGroup = async (
  db: Executor,
  tenantId: string,
  deviceId: string,
): Promise<string | undefined> => {
  const r = await groupRows(db, tenantId)
    .select('value')
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return r ? (JSON.parse(r.value) as string) : undefined;
};

/**
 * Puts devices (already known to be the tenant's) into `group`, leaving those already in it
 * alone; returns how many changed.
 */
export const setDevicesGroup = async (
  tx: Executor,
  tenantId: string,
  deviceIds: string[],
  group: string,
  nowMs: number,
): Promise<number> => {
  const value = JSON.stringify(group);
  let updated = 0;
  // Sorted ids and fixed-size chunks: concurrent bulk updates take row locks in the same order.
  for (const part of chunks([...deviceIds].sort())) {
    const already = new Set(
      (await groupRowsOf(tx, tenantId, part).select('device_id').where('value', '=', value).execute()).map(
        (r) => r.device_id,
      ),
    );
    const todo = part.filter((id) => !already.has(id));
    if (todo.length === 0) continue;
    await tx
      .insertInto('inventory_attributes')
      .values(
        todo.map((id) => ({
          tenant_id: tenantId,
          device_id: id,
          scope: GROUP.scope,
          name: GROUP.name,
          value,
          description: null,
          updated_at: nowMs,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['device_id', 'scope', 'name']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
    updated += todo.length;
  }
  return updated;
};

/** Takes the listed devices (or, without ids, every device) out of `group`; returns how many. */
export const unsetDevicesGroup = async (
  tx: Executor,
  tenantId: string,
  group: string,
  deviceIds?: string[],
): Promise<number> => {
  const dialect = dialectOf(tx);
  const value = JSON.stringify(group);
  if (deviceIds === undefined) {
    const members = await memberRows(tx, dialect, tenantId, group).select('device_id').execute();
    await shareLockDevices(
      tx,
      tenantId,
      members.map((m) => m.device_id),
    );
    const res = await tx
      .deleteFrom('inventory_attributes')
      .where('tenant_id', '=', tenantId)
      .where('scope', '=', GROUP.scope)
      .where('name', '=', GROUP.name)
      .where(valueEquals(dialect, value, TABLE))
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
  let n = 0;
  for (const part of chunks(await shareLockDevices(tx, tenantId, deviceIds))) {
    const res = await tx
      .deleteFrom('inventory_attributes')
      .where('device_id', 'in', part)
      .where('scope', '=', GROUP.scope)
      .where('name', '=', GROUP.name)
      .where(onRow('tenant_id'), '=', tenantId)
      .where('value', '=', value)
      .executeTakeFirst();
    n += Number(res.numDeletedRows);
  }
  return n;
};

/**
 * Group names in use, sorted; with `status`, only groups having a device of that auth status.
 * Without it, one index seek per group (the next key after the last one, a loose index scan)
 * instead of reading every member: a group name is the key whenever its JSON text is shorter than
 * the key; longer ones (rare) are read in full.
 */
export const listGroups = async (db: Executor, tenantId: string, status?: string): Promise<string[]> => {
  const dialect = dialectOf(db);
  if (status !== undefined) {
    const rows = await groupRows(db, tenantId)
      .select('value')
      .distinct()
      .where('device_id', 'in', (eb) =>
        eb
          .selectFrom('inventory_attributes as a')
          .select('a.device_id')
          .where('a.tenant_id', '=', tenantId)
          .where('a.scope', '=', 'identity')
          .where('a.name', '=', 'status')
          .where(valueEquals(dialect, JSON.stringify(status))),
      )
      .execute();
    return rows.map((r) => JSON.parse(r.value) as string).sort();
  }
  const key = valueKey(dialect);
  const ofGroups = sql`a.tenant_id = ${tenantId} and a.scope = ${GROUP.scope} and a.name = ${GROUP.name}`;
  const keys = await sql<{ k: string }>`with recursive g (k) as (
      select min(${key}) from inventory_attributes a where ${ofGroups}
      union all
      select (select min(${key}) from inventory_attributes a where ${ofGroups} and ${key} > g.k)
      from g where g.k is not null)
    select k from g where k is not null`.execute(db);
  const names: string[] = [];
  for (const { k } of keys.rows) {
    if (Array.from(k).length < VALUE_KEY_CHARS) names.push(JSON.parse(k) as string);
    else {
      const full = await groupRows(db, tenantId)
        .select('value')
        .distinct()
        .where(sql<SqlBool>`${valueKey(dialect, TABLE)} = ${k}`)
        .execute();
      names.push(...full.map((r) => JSON.parse(r.value) as string));
    }
  }
  return names.sort();
};

/** One page of the ids of a group's devices (ordered by id) and the group's size. */
export const groupDeviceIds = async (
  db: Executor,
  tenantId: string,
  group: string,
  offset: number,
  limit: number,
): Promise<{ ids: string[]; total: number }> => {
  const dialect = dialectOf(db);
  const total = await memberRows(db, dialect, tenantId, group)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  const rows = await memberRows(db, dialect, tenantId, group)
    .select('device_id')
    .orderBy('device_id')
    .limit(limit)
    .offset(offset)
    .execute();
  return { ids: rows.map((r) => r.device_id), total: num(total.n) };
};

/**
 * Ids of the tenant's devices whose `identity/status` is `accepted` (mirrored from device auth
 * in its own transaction), optionally only those in a static group; ordered by id. For the
 * deployments domain, which expands "all devices" and group deployments with it.
 */
export const listAcceptedDeviceIds = async (
  db: Executor,
  tenantId: string,
  opts: { group?: string } = {},
): Promise<string[]> => {
  const dialect = dialectOf(db);
  let q = db
    .selectFrom('inventory_attributes')
    .select('device_id')
    .where('tenant_id', '=', tenantId)
    .where('scope', '=', 'identity')
    .where('name', '=', 'status')
    .where(valueEquals(dialect, JSON.stringify('accepted'), TABLE));
  if (opts.group !== undefined) {
    const group = opts.group;
    q = q.where('device_id', 'in', (eb) =>
      eb
        .selectFrom('inventory_attributes as a')
        .select('a.device_id')
        .where('a.tenant_id', '=', tenantId)
        .where('a.scope', '=', GROUP.scope)
        .where('a.name', '=', GROUP.name)
        .where(valueEquals(dialect, JSON.stringify(group))),
    );
  }
  return (await q.orderBy('device_id').execute()).map((r) => r.device_id);
};

/** The attributes of one scope of a device, by name. */
export const scopeAttributes = async (
  db: Executor,
  tenantId: string,
  deviceId: string,
  scope: Scope,
): Promise<{ name: string; value: AttributeValue; description: string | null }[]> => {
  const rows = await db
    .selectFrom('inventory_attributes')
    .select(['name', 'value', 'description'])
    .where('device_id', '=', deviceId)
    .where('scope', '=', scope)
    .where(onRow('tenant_id'), '=', tenantId)
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    name: r.name,
    value: JSON.parse(r.value) as AttributeValue,
    description: r.description,
  }));
};

/**
 * Empties the device-reported `inventory` scope (DELETE /devices/{id}) and forgets its report
 * digest, so that the device's next report is written even if it is unchanged.
 */
export const clearInventoryScope = async (tx: Executor, deviceId: string): Promise<void> => {
  await writeDigest(tx, deviceId, 'inventory', null, 0);
  await tx
    .deleteFrom('inventory_attributes')
    .where('device_id', '=', deviceId)
    .where('scope', '=', 'inventory')
    .execute();
};

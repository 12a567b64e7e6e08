import type { Executor } from '../store/store.js';
import { num } from '../store/store.js';
import { type AttributeValue, type Scope, writeDigest } from './inventory-repo.js';

// Static groups: a device's group is its `system/group` attribute (a JSON string, like every
// attribute value), so the primary key (device_id, scope, name) makes "at most one group per
// device" a property of the table, and group filters are ordinary attribute filters.

const GROUP = { scope: 'system', name: 'group' } as const;
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

export const deviceExists = async (db: Executor, tenantId: string, deviceId: string): Promise<boolean> =>
  (await db
    .selectFrom('devices')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', deviceId)
    .executeTakeFirst()) !== undefined;

/** The tenant's devices among `ids` (unknown and other tenants' ids dropped), sorted. */
export const existingDeviceIds = async (db: Executor, tenantId: string, ids: string[]): Promise<string[]> => {
  const out: string[] = [];
  for (const part of chunks([...new Set(ids)])) {
    const rows = await db
      .selectFrom('devices')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', part)
      .execute();
    out.push(...rows.map((r) => r.id));
  }
  return out.sort();
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
      (
        await groupRows(tx, tenantId)
          .select('device_id')
          .where('device_id', 'in', part)
          .where('value', '=', value)
          .execute()
      ).map((r) => r.device_id),
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
  const del = () =>
    tx
      .deleteFrom('inventory_attributes')
      .where('tenant_id', '=', tenantId)
      .where('scope', '=', GROUP.scope)
      .where('name', '=', GROUP.name)
      .where('value', '=', JSON.stringify(group));
  if (deviceIds === undefined) return Number((await del().executeTakeFirst()).numDeletedRows);
  let n = 0;
  for (const part of chunks([...new Set(deviceIds)].sort())) {
    n += Number((await del().where('device_id', 'in', part).executeTakeFirst()).numDeletedRows);
  }
  return n;
};

/** Group names in use, sorted; with `status`, only groups having a device of that auth status. */
export const listGroups = async (db: Executor, tenantId: string, status?: string): Promise<string[]> => {
  let q = groupRows(db, tenantId).select('value').distinct();
  if (status !== undefined) {
    q = q.where('device_id', 'in', (eb) =>
      eb
        .selectFrom('inventory_attributes')
        .select('device_id')
        .where('tenant_id', '=', tenantId)
        .where('scope', '=', 'identity')
        .where('name', '=', 'status')
        .where('value', '=', JSON.stringify(status)),
    );
  }
  return (await q.execute()).map((r) => JSON.parse(r.value) as string).sort();
};

/** One page of the ids of a group's devices (ordered by id) and the group's size. */
export const groupDeviceIds = async (
  db: Executor,
  tenantId: string,
  group: string,
  offset: number,
  limit: number,
): Promise<{ ids: string[]; total: number }> => {
  const value = JSON.stringify(group);
  const total = await groupRows(db, tenantId)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('value', '=', value)
    .executeTakeFirstOrThrow();
  const rows = await groupRows(db, tenantId)
    .select('device_id')
    .where('value', '=', value)
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
  let q = db
    .selectFrom('inventory_attributes')
    .select('device_id')
    .where('tenant_id', '=', tenantId)
    .where('scope', '=', 'identity')
    .where('name', '=', 'status')
    .where('value', '=', JSON.stringify('accepted'));
  if (opts.group !== undefined) {
    const group = opts.group;
    q = q.where('device_id', 'in', (eb) =>
      eb
        .selectFrom('inventory_attributes')
        .select('device_id')
        .where('tenant_id', '=', tenantId)
        .where('scope', '=', GROUP.scope)
        .where('name', '=', GROUP.name)
        .where('value', '=', JSON.stringify(group)),
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
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('scope', '=', scope)
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

import { sql } from 'kysely';
import { rowLock } from '../store/dialect.js';
import { onRow } from '../store/row-check.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num, numOrNull } from '../store/store.js';
import type { Device, DeviceStatus } from './devauth-types.js';
import type { Identity } from './identity.js';

export const toDevice = (r: TableRow<'devices'>): Device => ({
  id: r.id,
  tenantId: r.tenant_id,
  identity: JSON.parse(r.id_data) as Identity,
  identityText: r.id_data,
  identitySha256: r.id_data_sha256,
  status: r.status as DeviceStatus,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
  checkInAt: numOrNull(r.check_in_at),
  ...(r.import_id
    ? {
        origin: {
          importId: r.import_id,
          importLine: num(r.import_line ?? 0),
          factoryId: r.factory_id ?? null,
        },
      }
    : {}),
});

export const findDevice = async (db: Executor, tenantId: string, id: string): Promise<Device | undefined> => {
  const r = await db
    .selectFrom('devices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toDevice(r) : undefined;
};

export const findDeviceByIdentity = async (
  db: Executor,
  tenantId: string,
  identitySha256: string,
): Promise<Device | undefined> => {
  const r = await db
    .selectFrom('devices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id_data_sha256', '=', identitySha256)
    .executeTakeFirst();
  return r ? toDevice(r) : undefined;
};

/** Inserts the device unless its identity exists already; returns whether it inserted. */
export const insertDeviceIfAbsent = async (db: Executor, d: Device): Promise<boolean> => {
  const res = await db
    .insertInto('devices')
    .values({
      id: d.id,
      tenant_id: d.tenantId,
      id_data: d.identityText,
      id_data_sha256: d.identitySha256,
      status: d.status,
      created_at: d.createdAt,
      updated_at: d.updatedAt,
      check_in_at: d.checkInAt,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'id_data_sha256']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
};

/**
 * Takes the device's row lock for the rest of the transaction (PostgreSQL), so concurrent
 * status changes of one device's auth sets serialise. SQLite transactions are already
 * serialised by BEGIN IMMEDIATE. FOR NO KEY UPDATE: it serialises the changes of the device with
 * each other, but not with inserts that merely refer to it (inventory reports take KEY SHARE
 * through their foreign key), which would otherwise deadlock with a decommission waiting for
 * the report's inventory lock.
 */
export const lockDevice = async (tx: Executor, tenantId: string, id: string): Promise<Device | undefined> => {
  const r = await tx
    .selectFrom('devices')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .$call(rowLock(tx, 'no key update'))
    .executeTakeFirst();
  return r ? toDevice(r) : undefined;
};

/**
 * The ids among `ids` that name a device of this tenant, any status (unknown ids and other
 * tenants' ids alike are left out). On PostgreSQL each found row is held with a share lock until
 * the transaction ends: a concurrent decommission (which holds the row with lockDevice's
 * no-key-update lock from its first statement) either finishes first, and the id is gone, or
 * waits for the caller to commit and then sees what the caller wrote about the device. A
 * key-share lock would not do: it does not conflict with no-key-update, so the decommission's
 * hooks could run between the caller's check and its insert. Status and check-in updates of the
 * listed devices wait for the caller's (short) transaction. SQLite transactions are serialised.
 */
export const lockTenantDeviceIds = async (
  tx: Executor,
  tenantId: string,
  ids: readonly string[],
): Promise<Set<string>> => {
  const found = new Set<string>();
  const unique = [...new Set(ids)].sort();
  // Sorted, fixed-size chunks: concurrent callers take their locks in the same order.
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await tx
      .selectFrom('devices')
      .select('id')
      .where('id', 'in', unique.slice(i, i + 500))
      .where(onRow('tenant_id'), '=', tenantId)
      .$call(rowLock(tx, 'share'))
      .execute();
    for (const r of rows) found.add(r.id);
  }
  return found;
};

export const setDeviceStatus = async (
  db: Executor,
  id: string,
  status: DeviceStatus,
  nowMs: number,
): Promise<void> => {
  await db.updateTable('devices').set({ status, updated_at: nowMs }).where('id', '=', id).execute();
};

export const setDeviceCheckIn = async (db: Executor, id: string, nowMs: number): Promise<void> => {
  await db.updateTable('devices').set({ check_in_at: nowMs }).where('id', '=', id).execute();
};

export const deleteDeviceRow = async (db: Executor, tenantId: string, id: string): Promise<boolean> => {
  const res = await db
    .deleteFrom('devices')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
};

/**
 * Devices of the tenant in one of `statuses` (any status when none are given), read from
 * device_counts: triggers on `devices` keep it exact in the writing transaction (migration 0012),
 * so this reads a few rows (one per status and slot), not the tenant's devices. It runs on every
 * accept (max_devices) and for every unfiltered or status-only total.
 */
export const countDevices = async (
  db: Executor,
  tenantId: string,
  statuses?: DeviceStatus | readonly DeviceStatus[],
): Promise<number> => {
  const list = statuses === undefined ? [] : typeof statuses === 'string' ? [statuses] : statuses;
  let q = db
    .selectFrom('device_counts')
    .select((eb) => eb.fn.sum<number | string | null>('n').as('n'))
    .where('tenant_id', '=', tenantId);
  if (list.length > 0) q = q.where('status', 'in', list);
  const r = await q.executeTakeFirst();
  return num(r?.n ?? 0);
};

/** Sets the check-in time of each listed device (id, time), in one statement. */
export const writeCheckInTimes = async (
  db: Executor,
  checkIns: readonly [string, number][],
): Promise<void> => {
  const rows = checkIns.map(([id, ts]) => sql`select cast(${id} as text) as id, cast(${ts} as bigint) as ts`);
  // UPDATE ... FROM works on both PostgreSQL and SQLite (≥ 3.33).
  await sql`update devices set check_in_at = v.ts from (${sql.join(rows, sql` union all `)}) as v where devices.id = v.id`.execute(
    db,
  );
};

import type { TableRow } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { AuthSet, AuthSetStatus } from './devauth-types.js';

const toAuthSet = (r: TableRow<'auth_sets'>): AuthSet => ({
  id: r.id,
  tenantId: r.tenant_id,
  deviceId: r.device_id,
  pubkey: r.pubkey,
  pubkeySha256: r.pubkey_sha256,
  keyType: r.key_type,
  status: r.status as AuthSetStatus,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const findAuthSet = async (
  db: Executor,
  tenantId: string,
  deviceId: string,
  id: string,
): Promise<AuthSet | undefined> => {
  const r = await db
    .selectFrom('auth_sets')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toAuthSet(r) : undefined;
};

export const findAuthSetByDeviceKey = async (
  db: Executor,
  deviceId: string,
  pubkeySha256: string,
): Promise<AuthSet | undefined> => {
  const r = await db
    .selectFrom('auth_sets')
    .selectAll()
    .where('device_id', '=', deviceId)
    .where('pubkey_sha256', '=', pubkeySha256)
    .executeTakeFirst();
  return r ? toAuthSet(r) : undefined;
};

/** Devices other than `exceptDeviceId` holding this key in the tenant. */
export const findDevicesWithKey = async (
  db: Executor,
  tenantId: string,
  pubkeySha256: string,
  exceptDeviceId?: string,
): Promise<string[]> => {
  let q = db
    .selectFrom('auth_sets')
    .select('device_id')
    .where('tenant_id', '=', tenantId)
    .where('pubkey_sha256', '=', pubkeySha256);
  if (exceptDeviceId) q = q.where('device_id', '!=', exceptDeviceId);
  return (await q.limit(10).execute()).map((r) => r.device_id);
};

/** The auth set of another device than `exceptDeviceId` holding this key (one at most: auth_sets_tenant_key_uq). */
export const findKeyHolder = async (
  db: Executor,
  tenantId: string,
  pubkeySha256: string,
  exceptDeviceId: string,
): Promise<{ deviceId: string; authSetId: string; status: string } | undefined> => {
  const r = await db
    .selectFrom('auth_sets')
    .select(['device_id', 'id', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('pubkey_sha256', '=', pubkeySha256)
    .where('device_id', '!=', exceptDeviceId)
    .executeTakeFirst();
  return r && { deviceId: r.device_id, authSetId: r.id, status: r.status };
};

export const listAuthSets = async (db: Executor, deviceIds: string[]): Promise<AuthSet[]> => {
  if (deviceIds.length === 0) return [];
  const rows = await db
    .selectFrom('auth_sets')
    .selectAll()
    .where('device_id', 'in', deviceIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toAuthSet);
};

export const countAuthSets = async (db: Executor, deviceId: string): Promise<number> => {
  const r = await db
    .selectFrom('auth_sets')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('device_id', '=', deviceId)
    .executeTakeFirstOrThrow();
  return num(r.n);
};

export const insertAuthSetIfAbsent = async (db: Executor, a: AuthSet): Promise<boolean> => {
  const res = await db
    .insertInto('auth_sets')
    .values({
      id: a.id,
      tenant_id: a.tenantId,
      device_id: a.deviceId,
      pubkey: a.pubkey,
      pubkey_sha256: a.pubkeySha256,
      key_type: a.keyType,
      status: a.status,
      created_at: a.createdAt,
      updated_at: a.updatedAt,
    })
    .onConflict((oc) => oc.columns(['device_id', 'pubkey_sha256']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
};

export const setAuthSetStatus = async (
  db: Executor,
  id: string,
  status: AuthSetStatus,
  nowMs: number,
): Promise<void> => {
  await db.updateTable('auth_sets').set({ status, updated_at: nowMs }).where('id', '=', id).execute();
};

/** Rejects every accepted auth set of the device except `keepId`; returns the ids it rejected. */
export const rejectOtherAccepted = async (
  db: Executor,
  deviceId: string,
  keepId: string,
  nowMs: number,
): Promise<string[]> => {
  const others = await db
    .selectFrom('auth_sets')
    .select('id')
    .where('device_id', '=', deviceId)
    .where('status', '=', 'accepted')
    .where('id', '!=', keepId)
    .execute();
  const ids = others.map((r) => r.id);
  if (ids.length > 0) {
    await db
      .updateTable('auth_sets')
      .set({ status: 'rejected', updated_at: nowMs })
      .where('id', 'in', ids)
      .execute();
  }
  return ids;
};

export const deleteAuthSetRow = async (db: Executor, id: string): Promise<void> => {
  await db.deleteFrom('auth_sets').where('id', '=', id).execute();
};

export const deleteAuthSetsOfDevice = async (db: Executor, deviceId: string): Promise<void> => {
  await db.deleteFrom('auth_sets').where('device_id', '=', deviceId).execute();
};

export const authSetStatuses = async (db: Executor, deviceId: string): Promise<AuthSetStatus[]> =>
  (await db.selectFrom('auth_sets').select('status').where('device_id', '=', deviceId).execute()).map(
    (r) => r.status as AuthSetStatus,
  );

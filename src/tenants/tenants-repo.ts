import { needsLocks, rowLock } from '../store/dialect.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';

export interface Tenant {
  id: string;
  name: string;
  /** -1 = unlimited (mender-server ≥ 4.2 semantics). */
  maxDevices: number;
  tenantTokenId: string;
  createdAt: number;
}

const toTenant = (r: TableRow<'tenants'>): Tenant => ({
  id: r.id,
  name: r.name,
  maxDevices: num(r.max_devices),
  tenantTokenId: r.tenant_token_id,
  createdAt: num(r.created_at),
});

export const insertTenant = async (db: Executor, t: Tenant): Promise<void> => {
  await db
    .insertInto('tenants')
    .values({
      id: t.id,
      name: t.name,
      max_devices: t.maxDevices,
      tenant_token_id: t.tenantTokenId,
      created_at: t.createdAt,
    })
    .execute();
};

export const findTenant = async (db: Executor, id: string): Promise<Tenant | undefined> => {
  const r = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toTenant(r) : undefined;
};

export const listTenants = async (db: Executor): Promise<Tenant[]> =>
  (await db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute()).map(toTenant);

export const updateTenant = async (
  db: Executor,
  id: string,
  patch: { maxDevices?: number; tenantTokenId?: string },
): Promise<boolean> => {
  const res = await db
    .updateTable('tenants')
    .set({
      ...(patch.maxDevices !== undefined ? { max_devices: patch.maxDevices } : {}),
      ...(patch.tenantTokenId !== undefined ? { tenant_token_id: patch.tenantTokenId } : {}),
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
};

/**
 * max_devices of a tenant, for devauth's limit check, with a row lock on PostgreSQL that stays
 * until the transaction ends:
 * - `update` (FOR NO KEY UPDATE): concurrent accepts in a limited tenant take turns, so two
 *   cannot both take the last free slot. Not FOR UPDATE: it must not wait for the KEY SHARE
 *   locks that inserting a device (its foreign key to the tenant) takes, or an accept waiting
 *   here and a device insert waiting on the accepting transaction's new auth set (a unique
 *   index) deadlock.
 * - `share` (FOR SHARE): accepts in an unlimited tenant do not wait for each other, while a
 *   change of the limit (an UPDATE of the row) waits for them, and the accepts after it see it.
 * - `none`: a plain read (SQLite: its one writer serialises every write transaction anyway).
 */
export const readMaxDevices = async (
  db: Executor,
  tenantId: string,
  lock: 'none' | 'share' | 'update',
): Promise<number | undefined> => {
  let q = db.selectFrom('tenants').select('max_devices').where('id', '=', tenantId);
  if (lock === 'update') q = q.$call(rowLock(db, 'no key update'));
  else if (lock === 'share') q = q.$call(rowLock(db, 'share'));
  const r = await q.executeTakeFirst();
  return r ? num(r.max_devices) : undefined;
};

/**
 * max_devices of a tenant, read under the tenant row's lock for an accept that may add a device
 * (readMaxDevices). On PostgreSQL an unlimited tenant's accepts share the lock and run side by
 * side (a factory batch coming online); a limited tenant's take it in turn, since each counts
 * before it accepts. The plain read first picks the lock, so a limited tenant's accepts never hold
 * the shared lock and then ask for the exclusive one (two of them doing that would deadlock). A
 * limit set between the plain read and the shared lock is seen by the shared read; that rare case
 * then takes the exclusive lock too (a deadlock there is retried like any other).
 */
export const readMaxDevicesToAccept = async (tx: Executor, tenantId: string): Promise<number | undefined> => {
  let limit = await readMaxDevices(tx, tenantId, 'none');
  if (!needsLocks(tx)) return limit;
  if (limit !== undefined && limit < 0) limit = await readMaxDevices(tx, tenantId, 'share');
  if (limit !== undefined && limit >= 0) limit = await readMaxDevices(tx, tenantId, 'update');
  return limit;
};

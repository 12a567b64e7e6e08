import { rowLock } from '../store/dialect.js';
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

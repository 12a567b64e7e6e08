import type { TableRow } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { Factory } from './factory-types.js';
import type { FactoryKeyType } from './manifest-signature.js';

const toFactory = (r: TableRow<'factories'>): Factory => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  publicKeyPem: r.public_key,
  fingerprint: r.fingerprint,
  keyType: r.key_type as FactoryKeyType,
  disabledAt: r.disabled_at === null ? null : num(r.disabled_at),
  createdAt: num(r.created_at),
});

export const insertFactory = async (db: Executor, f: Factory): Promise<void> => {
  await db
    .insertInto('factories')
    .values({
      id: f.id,
      tenant_id: f.tenantId,
      name: f.name,
      public_key: f.publicKeyPem,
      fingerprint: f.fingerprint,
      key_type: f.keyType,
      disabled_at: f.disabledAt,
      created_at: f.createdAt,
    })
    .execute();
};

export const findFactory = async (
  db: Executor,
  tenantId: string,
  id: string,
): Promise<Factory | undefined> => {
  const r = await db
    .selectFrom('factories')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toFactory(r) : undefined;
};

export const findFactoryBy = async (
  db: Executor,
  tenantId: string,
  by: { name: string } | { fingerprint: string },
): Promise<Factory | undefined> => {
  let q = db.selectFrom('factories').selectAll().where('tenant_id', '=', tenantId);
  q = 'name' in by ? q.where('name', '=', by.name) : q.where('fingerprint', '=', by.fingerprint);
  const r = await q.executeTakeFirst();
  return r ? toFactory(r) : undefined;
};

/** At most a few per tenant (one per factory station or line): no paging. */
export const listFactories = async (db: Executor, tenantId: string): Promise<Factory[]> =>
  (
    await db
      .selectFrom('factories')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .limit(1000)
      .execute()
  ).map(toFactory);

export const disableFactory = async (
  db: Executor,
  tenantId: string,
  id: string,
  nowMs: number,
): Promise<boolean> => {
  const res = await db
    .updateTable('factories')
    .set({ disabled_at: nowMs })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
};

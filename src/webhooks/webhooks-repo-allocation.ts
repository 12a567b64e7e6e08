import type { Selectable } from 'kysely';
import type { AllocationWebhooksTable } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { AllocationWebhook } from './webhooks-types.js';

export interface AllocationWebhookRecord {
  hook: AllocationWebhook;
  secretSealed: string;
}

const toRecord = (r: Selectable<AllocationWebhooksTable>): AllocationWebhookRecord => ({
  hook: {
    id: r.id,
    tenantId: r.tenant_id,
    url: r.url,
    description: r.description,
    timeoutMs: num(r.timeout_ms),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  },
  secretSealed: r.secret_sealed,
});

export const insertAllocationWebhook = async (ex: Executor, rec: AllocationWebhookRecord): Promise<void> => {
  const h = rec.hook;
  await ex
    .insertInto('allocation_webhooks')
    .values({
      id: h.id,
      tenant_id: h.tenantId,
      url: h.url,
      description: h.description,
      timeout_ms: h.timeoutMs,
      secret_sealed: rec.secretSealed,
      created_at: h.createdAt,
      updated_at: h.updatedAt,
    })
    .execute();
};

export const findAllocationWebhook = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<AllocationWebhookRecord | undefined> => {
  const r = await ex
    .selectFrom('allocation_webhooks')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toRecord(r) : undefined;
};

export const listAllocationWebhooks = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number },
): Promise<{ hooks: AllocationWebhook[]; total: number }> => {
  const base = ex.selectFrom('allocation_webhooks').where('tenant_id', '=', tenantId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('created_at').orderBy('id').offset(q.offset).limit(q.limit).execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { hooks: rows.map((r) => toRecord(r).hook), total: num(count.n) };
};

export const countAllocationWebhooks = async (ex: Executor, tenantId: string): Promise<number> => {
  const r = await ex
    .selectFrom('allocation_webhooks')
    .where('tenant_id', '=', tenantId)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return num(r.n);
};

export const updateAllocationWebhook = async (
  ex: Executor,
  tenantId: string,
  id: string,
  patch: { url?: string; description?: string; timeoutMs?: number; secretSealed?: string; updatedAt: number },
): Promise<boolean> => {
  const r = await ex
    .updateTable('allocation_webhooks')
    .set({
      ...(patch.url === undefined ? {} : { url: patch.url }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.timeoutMs === undefined ? {} : { timeout_ms: patch.timeoutMs }),
      ...(patch.secretSealed === undefined ? {} : { secret_sealed: patch.secretSealed }),
      updated_at: patch.updatedAt,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

export const deleteAllocationWebhook = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<boolean> => {
  const r = await ex
    .deleteFrom('allocation_webhooks')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
};

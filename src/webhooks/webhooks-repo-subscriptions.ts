import type { Selectable } from 'kysely';
import type { WebhookSubscriptionsTable } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { Subscription } from './webhooks-types.js';

export interface SubscriptionRecord {
  subscription: Subscription;
  secretSealed: string;
}

const toRecord = (r: Selectable<WebhookSubscriptionsTable>): SubscriptionRecord => ({
  subscription: {
    id: r.id,
    tenantId: r.tenant_id,
    url: r.url,
    description: r.description,
    eventTypes: JSON.parse(r.event_types) as string[],
    enabled: num(r.enabled) === 1,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  },
  secretSealed: r.secret_sealed,
});

export const insertSubscription = async (ex: Executor, rec: SubscriptionRecord): Promise<void> => {
  const s = rec.subscription;
  await ex
    .insertInto('webhook_subscriptions')
    .values({
      id: s.id,
      tenant_id: s.tenantId,
      url: s.url,
      description: s.description,
      event_types: JSON.stringify(s.eventTypes),
      enabled: s.enabled ? 1 : 0,
      secret_sealed: rec.secretSealed,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    })
    .execute();
};

export const findSubscription = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<SubscriptionRecord | undefined> => {
  const r = await ex
    .selectFrom('webhook_subscriptions')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toRecord(r) : undefined;
};

export const listSubscriptions = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number },
): Promise<{ subscriptions: Subscription[]; total: number }> => {
  const base = ex.selectFrom('webhook_subscriptions').where('tenant_id', '=', tenantId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('created_at').orderBy('id').offset(q.offset).limit(q.limit).execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { subscriptions: rows.map((r) => toRecord(r).subscription), total: num(count.n) };
};

export const countSubscriptions = async (ex: Executor, tenantId: string): Promise<number> => {
  const r = await ex
    .selectFrom('webhook_subscriptions')
    .where('tenant_id', '=', tenantId)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return num(r.n);
};

export const updateSubscription = async (
  ex: Executor,
  tenantId: string,
  id: string,
  patch: {
    url?: string;
    description?: string;
    eventTypes?: string[];
    enabled?: boolean;
    secretSealed?: string;
    updatedAt: number;
  },
): Promise<boolean> => {
  const r = await ex
    .updateTable('webhook_subscriptions')
    .set({
      ...(patch.url === undefined ? {} : { url: patch.url }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.eventTypes === undefined ? {} : { event_types: JSON.stringify(patch.eventTypes) }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled ? 1 : 0 }),
      ...(patch.secretSealed === undefined ? {} : { secret_sealed: patch.secretSealed }),
      updated_at: patch.updatedAt,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

export const deleteSubscription = async (ex: Executor, tenantId: string, id: string): Promise<boolean> => {
  const r = await ex
    .deleteFrom('webhook_subscriptions')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
};

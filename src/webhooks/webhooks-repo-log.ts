import type { Selectable } from 'kysely';
import type { WebhookAttemptsTable, WebhookDeliveriesTable } from '../store/schema.js';
import { type Db, type Executor, num, numOrNull } from '../store/store.js';
import type { Delivery, DeliveryAttempt, DeliveryStatus } from './webhooks-types.js';

// The delivery log as operators see it, manual redelivery and pruning.

const toDelivery = (r: Selectable<WebhookDeliveriesTable>, log: DeliveryAttempt[]): Delivery => ({
  id: r.id,
  tenantId: r.tenant_id,
  subscriptionId: r.subscription_id,
  eventId: r.event_id,
  eventType: r.event_type,
  deviceId: r.device_id,
  status: r.status as DeliveryStatus,
  attempts: num(r.attempts),
  nextAttemptAt: num(r.next_attempt_at),
  lastStatusCode: numOrNull(r.last_status_code),
  lastError: r.last_error,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
  deliveredAt: numOrNull(r.delivered_at),
  log,
});

const toAttempt = (r: Selectable<WebhookAttemptsTable>): DeliveryAttempt => ({
  attempt: num(r.attempt),
  startedAt: num(r.started_at),
  durationMs: num(r.duration_ms),
  statusCode: numOrNull(r.status_code),
  error: r.error,
});

/** A subscription's deliveries, newest event first, each with its attempt log. */
export const listDeliveries = async (
  ex: Executor,
  subscriptionId: string,
  q: { status?: DeliveryStatus; eventId?: string; offset: number; limit: number },
): Promise<{ deliveries: Delivery[]; total: number }> => {
  let base = ex.selectFrom('webhook_deliveries').where('subscription_id', '=', subscriptionId);
  if (q.status) base = base.where('status', '=', q.status);
  if (q.eventId) base = base.where('event_id', '=', q.eventId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('event_id', 'desc').offset(q.offset).limit(q.limit).execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const attempts =
    rows.length === 0
      ? []
      : await ex
          .selectFrom('webhook_attempts')
          .selectAll()
          .where(
            'delivery_id',
            'in',
            rows.map((r) => r.id),
          )
          .orderBy('delivery_id')
          .orderBy('attempt')
          .execute();
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    list.push(toAttempt(a));
    byDelivery.set(a.delivery_id, list);
  }
  return { deliveries: rows.map((r) => toDelivery(r, byDelivery.get(r.id) ?? [])), total: num(count.n) };
};

/**
 * Manual redelivery: every failed delivery of the subscription is pending again with a fresh
 * retry budget, and deliveries held behind them are due now. Returns how many failed ones
 * were requeued.
 */
export const requeueFailed = async (ex: Executor, subscriptionId: string, nowMs: number): Promise<number> => {
  const r = await ex
    .updateTable('webhook_deliveries')
    .set((eb) => ({
      status: 'pending',
      budget_attempts: eb.ref('attempts'),
      budget_since: nowMs,
      next_attempt_at: nowMs,
      updated_at: nowMs,
    }))
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  await ex
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: nowMs })
    .where('subscription_id', '=', subscriptionId)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '>', nowMs)
    .execute();
  return Number(r.numUpdatedRows);
};

/**
 * Deletes delivered deliveries (and their attempt logs) last changed before `beforeMs`. Failed
 * ones stay: they hold back later events of their device until redelivered (or the webhook is
 * deleted), and they are what an operator needs to see.
 */
export const pruneDeliveries = async (db: Db, beforeMs: number, limit: number): Promise<number> => {
  const ids = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('status', '=', 'delivered')
    .where('updated_at', '<', beforeMs)
    .limit(limit)
    .execute();
  if (ids.length === 0) return 0;
  const r = await db
    .deleteFrom('webhook_deliveries')
    .where(
      'id',
      'in',
      ids.map((i) => i.id),
    )
    .executeTakeFirst();
  return Number(r.numDeletedRows);
};

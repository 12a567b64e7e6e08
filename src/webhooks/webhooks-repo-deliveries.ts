import { sql } from 'kysely';
import { type Db, num } from '../store/store.js';
import type { DeliveryAttempt, DeliveryStatus } from './webhooks-types.js';

/** A delivery leased by this process, with what it takes to send it. */
export interface ClaimedDelivery {
  id: string;
  tenantId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  deviceId: string | null;
  attempts: number;
  budgetAttempts: number;
  budgetSince: number;
  url: string;
  secretSealed: string;
  /** Null when the event is no longer in the outbox. */
  event: { payload: string; createdAt: number } | null;
}

/**
 * Leases up to `limit` deliveries that are due, for `leaseMs`. A delivery is due when it is
 * pending, its time has come, nobody holds a live lease on it, its subscription is enabled, and
 * no earlier event of the same device is undelivered for the same subscription (per-device
 * order; events without a device are not ordered). The lease is taken with a conditional
 * UPDATE, so of two processes racing for a row exactly one gets it. A live process renews the
 * leases of its requests in flight (renewLeases); a dead one's run out within one lease.
 */
export const claimDue = async (
  db: Db,
  args: { nowMs: number; owner: string; leaseMs: number; limit: number },
): Promise<ClaimedDelivery[]> => {
  const { nowMs } = args;
  const findDue = (limit: number) =>
    db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
      .select('d.id')
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', nowMs)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<=', nowMs)]))
      .where('s.enabled', '=', 1)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as p')
              .select(sql.lit(1).as('one'))
              .whereRef('p.subscription_id', '=', 'd.subscription_id')
              .whereRef('p.device_id', '=', 'd.device_id')
              .whereRef('p.event_id', '<', 'd.event_id')
              .where('p.status', '<>', 'delivered'),
          ),
        ),
      )
      .orderBy('d.next_attempt_at')
      .orderBy('d.event_id')
      .limit(limit)
      .execute();
  const won: { id: string }[] = [];
  // Another process may lease some of the same candidates first; look again (a few times) for
  // the next ones rather than leave this round short.
  for (let round = 0; round < 3 && won.length < args.limit; round++) {
    const candidates = await findDue(args.limit - won.length);
    if (candidates.length === 0) break;
    won.push(
      ...(await db
        .updateTable('webhook_deliveries')
        .set({ lease_owner: args.owner, lease_until: nowMs + args.leaseMs })
        .where(
          'id',
          'in',
          candidates.map((c) => c.id),
        )
        .where('status', '=', 'pending')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', nowMs)]))
        .returning('id')
        .execute()),
    );
    if (won.length === 0 && round > 0) break;
  }
  if (won.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_subscriptions as s', 's.id', 'd.subscription_id')
    .leftJoin('events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.tenant_id',
      'd.subscription_id',
      'd.event_id',
      'd.event_type',
      'd.device_id',
      'd.attempts',
      'd.budget_attempts',
      'd.budget_since',
      's.url',
      's.secret_sealed',
      'e.payload',
      'e.created_at as event_created_at',
    ])
    .where(
      'd.id',
      'in',
      won.map((w) => w.id),
    )
    .orderBy('d.event_id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    subscriptionId: r.subscription_id,
    eventId: r.event_id,
    eventType: r.event_type,
    deviceId: r.device_id,
    attempts: num(r.attempts),
    budgetAttempts: num(r.budget_attempts),
    budgetSince: num(r.budget_since),
    url: r.url,
    secretSealed: r.secret_sealed,
    event:
      r.payload === null || r.event_created_at === null
        ? null
        : { payload: r.payload, createdAt: num(r.event_created_at) },
  }));
};

export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; nextAttemptAt: number }
  | { kind: 'failed'; holdUntil: number };

/**
 * Records one attempt of a leased delivery and its new state, if the lease is still ours (else
 * nothing: whoever holds it now will record its own attempt). While a device's delivery waits
 * for its retry, its later deliveries cannot go first anyway; they are moved to the same time so
 * the due query does not look at them on every poll.
 */
export const recordAttempt = async (
  db: Db,
  args: {
    delivery: ClaimedDelivery;
    owner: string;
    attempt: DeliveryAttempt;
    outcome: AttemptOutcome;
    nowMs: number;
  },
): Promise<boolean> =>
  db.transaction().execute(async (tx) => {
    const { delivery: d, attempt: a, outcome, nowMs } = args;
    const status: DeliveryStatus =
      outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'retry' ? 'pending' : 'failed';
    const r = await tx
      .updateTable('webhook_deliveries')
      .set({
        status,
        attempts: a.attempt,
        next_attempt_at: outcome.kind === 'retry' ? outcome.nextAttemptAt : nowMs,
        last_status_code: a.statusCode,
        last_error: a.error,
        lease_owner: null,
        lease_until: null,
        updated_at: nowMs,
        delivered_at: outcome.kind === 'delivered' ? nowMs : null,
      })
      .where('id', '=', d.id)
      .where('lease_owner', '=', args.owner)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return false;
    await tx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: d.id,
        attempt: a.attempt,
        started_at: a.startedAt,
        duration_ms: a.durationMs,
        status_code: a.statusCode,
        error: a.error,
      })
      .execute();
    if (outcome.kind !== 'delivered' && d.deviceId !== null) {
      const holdUntil = outcome.kind === 'retry' ? outcome.nextAttemptAt : outcome.holdUntil;
      await tx
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: holdUntil })
        .where('subscription_id', '=', d.subscriptionId)
        .where('device_id', '=', d.deviceId)
        .where('event_id', '>', d.eventId)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<', holdUntil)
        .execute();
    }
    return true;
  });

/**
 * Extends this process's leases on deliveries still in flight; returns the ids it still holds.
 * An id missing from the answer was taken over (its lease had run out): its request must stop.
 */
export const renewLeases = async (
  db: Db,
  args: { ids: readonly string[]; owner: string; leaseUntil: number },
): Promise<Set<string>> => {
  if (args.ids.length === 0) return new Set();
  const rows = await db
    .updateTable('webhook_deliveries')
    .set({ lease_until: args.leaseUntil })
    .where('id', 'in', [...args.ids])
    .where('lease_owner', '=', args.owner)
    .where('status', '=', 'pending')
    .returning('id')
    .execute();
  return new Set(rows.map((r) => r.id));
};

/** Gives a lease back without counting an attempt (the request was cut short by shutdown). */
export const releaseLease = async (db: Db, id: string, owner: string): Promise<void> => {
  await db
    .updateTable('webhook_deliveries')
    .set({ lease_owner: null, lease_until: null })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
};

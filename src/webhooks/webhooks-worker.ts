import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Store } from '../store/store.js';
import { subscriptionSecretAad } from './webhooks-envelope.js';
import type { HttpSender, OutboundResult } from './webhooks-http.js';
import { createLeaseKeeper } from './webhooks-leases.js';
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  claimDue,
  recordAttempt,
  releaseLease,
} from './webhooks-repo-deliveries.js';
import { fanOutBatch } from './webhooks-repo-fanout.js';
import { pruneDeliveries } from './webhooks-repo-log.js';
import { type RetryPolicy, retryDelayMs, shouldGiveUp } from './webhooks-retry.js';
import { isDelivered, openTargetSecret, sendSignedEnvelope } from './webhooks-target-send.js';

export interface WebhookWorkerSettings {
  pollIntervalMs: number;
  /** How long an event waits before fan-out, so that late-written earlier events go first. */
  settleMs: number;
  /** Deadline of one delivery request. */
  timeoutMs: number;
  /**
   * How long a delivery in flight is reserved for this process; renewed every third of it while
   * its request runs. The deliveries of a process that died are taken over within this plus one
   * poll interval (webhooks-leases.ts).
   */
  leaseMs: number;
  retry: RetryPolicy;
  /** Delivered deliveries older than this are pruned from the log. */
  retentionMs: number;
  /** Deliveries sent concurrently per round. */
  concurrency?: number;
  fanOutBatchSize?: number;
}

export interface WebhookWorker {
  /** Starts polling (idempotent). Timers are unref'd: the worker never keeps a process alive. */
  start(): void;
  /** Stops polling, cuts requests in flight short (their leases are released) and waits. */
  stop(): Promise<void>;
  /** One round: fan out, prune when due, claim and send. For tests and the polling loop. */
  runOnce(): Promise<{ fannedOut: number; attempted: number }>;
  readonly owner: string;
}

const PRUNE_EVERY_MS = 60 * 60 * 1000;
/** Longest wait between rounds while rounds keep failing. */
const MAX_ERROR_BACKOFF_MS = 10_000;
const MAX_FANOUT_PER_ROUND = 5000;
/** Failed deliveries hold later events of their device; those are re-examined this rarely. */
const FAILED_HOLD_MS = 24 * 60 * 60 * 1000;
const MAX_ERROR_LENGTH = 500;
const NOT_SENT: OutboundResult = {
  statusCode: null,
  body: Buffer.alloc(0),
  truncated: false,
  error: null,
  timedOut: false,
  aborted: false,
  durationMs: 0,
};

/**
 * Delivers the outbox to webhook subscriptions (docs/adr/0010-webhook-delivery.md): fan-out into
 * `webhook_deliveries`, then leased, signed POSTs with retries. At least once: a delivery is only
 * marked delivered after a 2xx answer, so a crash between the answer and the write repeats it.
 */
export const createWebhookWorker = (deps: {
  store: Store;
  clock: Clock;
  box: SecretBox;
  send: HttpSender;
  settings: WebhookWorkerSettings;
  random?: () => number;
  owner?: string;
  onError: (e: unknown) => void;
}): WebhookWorker => {
  const { store, clock, settings } = deps;
  const db = store.db;
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const random = deps.random ?? Math.random;
  const onError = deps.onError;
  const concurrency = settings.concurrency ?? 16;
  const fanOutBatchSize = settings.fanOutBatchSize ?? 500;
  const leaseMs = settings.leaseMs;
  const leases = createLeaseKeeper({ db, clock, owner, leaseMs, onError });
  let lastPruneMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let started = false;
  let abort = new AbortController();

  const openSecret = (d: ClaimedDelivery): string | undefined => {
    const opened = openTargetSecret(deps.box, d.secretSealed, subscriptionSecretAad(d.subscriptionId));
    if (opened.ok) return opened.secret;
    // Not the receiver's fault and not transient: the operator has to know (wrong master key).
    onError(
      new Error(`secret of webhook subscription ${d.subscriptionId} cannot be opened (master key changed?)`, {
        cause: opened.error,
      }),
    );
    return undefined;
  };

  const attempt = async (d: ClaimedDelivery, leaseUntil: number): Promise<void> => {
    const lost = leases.hold(d.id, leaseUntil);
    try {
      await send(d, lost);
    } finally {
      leases.release(d.id);
    }
  };

  const send = async (d: ClaimedDelivery, leaseLost: AbortSignal): Promise<void> => {
    const startedAt = clock.nowMs();
    const n = d.attempts + 1;
    if (d.event === null) {
      await recordAttempt(db, {
        delivery: d,
        owner,
        attempt: {
          attempt: n,
          startedAt,
          durationMs: 0,
          statusCode: null,
          error: 'event no longer in the outbox',
        },
        outcome: { kind: 'failed', holdUntil: startedAt + FAILED_HOLD_MS },
        nowMs: startedAt,
      });
      return;
    }
    const envelope = {
      id: d.eventId,
      type: d.eventType,
      tenantId: d.tenantId,
      deviceId: d.deviceId,
      createdAt: d.event.createdAt,
      data: JSON.parse(d.event.payload) as unknown,
    };
    const secret = openSecret(d);
    // A secret that does not open (another master key) is a failed attempt, retried with backoff.
    const res: OutboundResult =
      secret === undefined
        ? { ...NOT_SENT, error: 'webhook secret cannot be opened (master key changed?)' }
        : await sendSignedEnvelope(deps.send, {
            url: d.url,
            secret,
            envelope,
            deliveryId: d.id,
            nowMs: startedAt,
            timeoutMs: settings.timeoutMs,
            maxResponseBytes: 1024,
            signal: AbortSignal.any([abort.signal, leaseLost]),
          });
    if (res.aborted) {
      // Shutdown: give the lease back. Lease lost: it is someone else's now (this is a no-op).
      await releaseLease(db, d.id, owner);
      return;
    }
    const nowMs = clock.nowMs();
    const ok = isDelivered(res);
    const error = ok ? null : (res.error ?? `HTTP ${res.statusCode}`).slice(0, MAX_ERROR_LENGTH);
    const budget = { attempts: n - d.budgetAttempts, sinceMs: d.budgetSince };
    const outcome: AttemptOutcome = ok
      ? { kind: 'delivered' }
      : shouldGiveUp(settings.retry, budget, nowMs)
        ? { kind: 'failed', holdUntil: nowMs + FAILED_HOLD_MS }
        : { kind: 'retry', nextAttemptAt: nowMs + retryDelayMs(settings.retry, budget.attempts, random) };
    await recordAttempt(db, {
      delivery: d,
      owner,
      attempt: { attempt: n, startedAt, durationMs: res.durationMs, statusCode: res.statusCode, error },
      outcome,
      nowMs,
    });
  };

  /** Deliveries being sent (across rounds): at most `concurrency`. */
  const active = new Set<Promise<void>>();

  /** Fan out, prune when due, claim what free slots allow and start sending (not awaited). */
  const round = async () => {
    let fannedOut = 0;
    for (;;) {
      const nowMs = clock.nowMs();
      const n = await fanOutBatch(db, {
        nowMs,
        cutoffMs: nowMs - settings.settleMs,
        batchSize: fanOutBatchSize,
      });
      fannedOut += n;
      if (n < fanOutBatchSize || fannedOut >= MAX_FANOUT_PER_ROUND) break;
    }
    const nowMs = clock.nowMs();
    if (nowMs - lastPruneMs >= PRUNE_EVERY_MS) {
      lastPruneMs = nowMs;
      await pruneDeliveries(db, nowMs - settings.retentionMs, 10_000);
    }
    const capacity = concurrency - active.size;
    const claimedAt = clock.nowMs();
    const claimed =
      capacity > 0 ? await claimDue(db, { nowMs: claimedAt, owner, leaseMs, limit: capacity }) : [];
    const sends = claimed.map((d) => {
      const p = attempt(d, claimedAt + leaseMs).catch(async (e) => {
        onError(e);
        // If this fails too, the lease simply expires (leaseMs) and the delivery is retried then.
        await releaseLease(db, d.id, owner).catch(onError);
      });
      active.add(p);
      void p.finally(() => active.delete(p));
      return p;
    });
    const full = (capacity > 0 && claimed.length === capacity) || fannedOut >= MAX_FANOUT_PER_ROUND;
    return { fannedOut, attempted: claimed.length, full, settled: Promise.all(sends) };
  };

  const runOnce = async () => {
    const r = await round();
    await r.settled;
    return { fannedOut: r.fannedOut, attempted: r.attempted };
  };

  const schedule = (delayMs: number) => {
    if (!started) return;
    timer = setTimeout(tick, delayMs);
    timer.unref();
  };
  /** Rounds that failed in a row (the database does not answer): the next waits longer. */
  let failedRounds = 0;
  const tick = () => {
    timer = undefined;
    running = (async () => {
      let next = settings.pollIntervalMs;
      try {
        const r = await round();
        failedRounds = 0;
        if (r.full) {
          // Probably more to do: go again once this round's deliveries are done, but no later than
          // one poll interval, so that slow receivers never keep this process from claiming what
          // fell due meanwhile (retries, the deliveries of a process that died) with free slots.
          await Promise.race([
            r.settled,
            new Promise((done) => setTimeout(done, settings.pollIntervalMs).unref()),
          ]);
          next = 0;
        }
      } catch (e) {
        // One line per failed round, and rounds back off (doubling, up to MAX_ERROR_BACKOFF_MS)
        // while the failure lasts: an outage neither floods the log nor the database.
        onError(e);
        failedRounds += 1;
        next = Math.min(settings.pollIntervalMs * 2 ** Math.min(failedRounds, 16), MAX_ERROR_BACKOFF_MS);
      }
      running = undefined;
      schedule(next);
    })();
  };

  return {
    owner,
    runOnce,
    start() {
      if (started) return;
      started = true;
      abort = new AbortController();
      schedule(0);
    },
    async stop() {
      started = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      abort.abort();
      await running;
      await Promise.all([...active]);
    },
  };
};

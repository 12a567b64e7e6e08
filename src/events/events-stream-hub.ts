import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { orderedIdFloor } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../store/store.js';
import type { DomainEvent } from './events-repo.js';
import { eventIdsFrom, eventsByIds } from './events-repo-stream.js';

/**
 * Live events for the console (GET /api/management/v1/events/stream), fed from the outbox.
 *
 * One poller per process, not per client, and only while some stream is open: it reads the new
 * events of the tenants that have listeners and hands each to their streams. Events are written
 * by any `serve` process in the transaction of their change, so this works across processes on
 * one PostgreSQL database.
 *
 * Event ids are time-ordered (UUIDv7), but transactions commit out of order: an event can become
 * visible after one with a later id was read. So each poll reads every id of the last
 * `windowMs` (an index-only range on events_tenant_idx) and delivers those it has not delivered
 * yet: an event that commits up to `windowMs` after its id was taken is still delivered, once.
 * Later than that (a transaction held open that long, or a process whose clock is that far
 * behind) it is not. The process remembers the ids of that window only.
 */

export interface StreamListener {
  tenantId: string;
  userId: string;
  /** The token the stream was opened with: when it stops being valid, the stream ends. */
  tokenId: string;
  /** Each new event of the tenant, in id order within a poll (the listener filters by type). */
  deliver(e: DomainEvent): void;
  /** Ends the stream (token revoked, server closing); the listener detaches itself. */
  end(reason: string): void;
}

export interface EventStreamHub {
  /** Counts a new stream against the limits (429 beyond); returns its release. */
  reserve(userId: string): () => void;
  /** From now on, the tenant's new events go to `l`. */
  attach(l: StreamListener): Promise<void>;
  detach(l: StreamListener): void;
  /** Ends every stream (before the server closes, so that it can). */
  endAll(reason: string): void;
  /** Stops polling; waits for a poll in progress. */
  stop(): Promise<void>;
  /** Open streams. */
  size(): number;
}

/** The reason a stream ends when its token stops being valid. */
export const TOKEN_GONE = 'token no longer valid';

/** Ids read per poll at most; a larger burst is read on in the next poll. */
const MAX_IDS_PER_POLL = 10_000;

const idMs = (id: string): number => Number.parseInt(`${id.slice(0, 8)}${id.slice(9, 13)}`, 16);

/** Which of these user token ids are still valid (the users domain offers it): a stream ends with its token. */
export interface UserTokenLiveness {
  liveTokenIds(ids: readonly string[]): Promise<Set<string>>;
}

export const createEventStreamHub = (deps: {
  db: Db;
  clock: Clock;
  logger: Pick<Logger, 'warn'>;
  pollMs: number;
  maxStreams: number;
  maxStreamsPerUser: number;
  userTokens: UserTokenLiveness;
  /** How late an event may commit after its id was taken and still be delivered. */
  windowMs?: number;
  /** How often the tokens of open streams are checked. */
  tokenCheckMs?: number;
}): EventStreamHub => {
  const { db, clock, pollMs } = deps;
  const windowMs = deps.windowMs ?? 5000;
  const tokenCheckMs = deps.tokenCheckMs ?? 1000;
  const byTenant = new Map<string, Set<StreamListener>>();
  /** Ids delivered (or present when a tenant got its first listener), with their time. */
  const seen = new Map<string, number>();
  const perUser = new Map<string, number>();
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let stopped = false;
  let failures = 0;
  let lastTokenCheck = 0;
  /** After a poll that hit MAX_IDS_PER_POLL: where the next one reads on. */
  let resumeFrom: string | undefined;

  const tooMany = (message: string) =>
    new AppError('EVENTS_TOO_MANY_STREAMS', 429, message, { headers: { 'Retry-After': '10' } });

  const listeners = () => [...byTenant.values()].flatMap((s) => [...s]);

  const fromId = (nowMs: number) => {
    const floor = orderedIdFloor(nowMs - windowMs);
    return resumeFrom !== undefined && resumeFrom > floor ? resumeFrom : floor;
  };

  const poll = async () => {
    const tenants = [...byTenant.keys()];
    if (tenants.length === 0) return;
    const nowMs = clock.nowMs();
    const found = await eventIdsFrom(db, tenants, fromId(nowMs), MAX_IDS_PER_POLL);
    resumeFrom = found.length === MAX_IDS_PER_POLL ? found[found.length - 1]?.id : undefined;
    for (const [id, ms] of seen) if (ms < nowMs - windowMs - 1000) seen.delete(id);
    const fresh = found.filter((r) => !seen.has(r.id)).map((r) => r.id);
    if (fresh.length === 0) return;
    for (const e of await eventsByIds(db, fresh)) {
      seen.set(e.id, idMs(e.id));
      for (const l of [...(byTenant.get(e.tenantId) ?? [])]) l.deliver(e);
    }
  };

  const checkTokens = async () => {
    const nowMs = clock.nowMs();
    if (nowMs - lastTokenCheck < tokenCheckMs) return;
    lastTokenCheck = nowMs;
    const all = listeners();
    if (all.length === 0) return;
    const live = await deps.userTokens.liveTokenIds(all.map((l) => l.tokenId));
    for (const l of all) if (!live.has(l.tokenId)) l.end(TOKEN_GONE);
  };

  const schedule = () => {
    if (stopped || timer !== undefined || polling !== undefined || byTenant.size === 0) return;
    // A database that does not answer is asked less often (up to every 10 s), and said so once a round.
    const delay = failures === 0 ? pollMs : Math.min(pollMs * 2 ** failures, 10_000);
    timer = setTimeout(() => {
      timer = undefined;
      polling = (async () => {
        try {
          await poll();
          await checkTokens();
          failures = 0;
        } catch (err) {
          failures = Math.min(failures + 1, 8);
          deps.logger.warn({ err }, 'event stream poll failed; retrying');
        }
      })().finally(() => {
        polling = undefined;
        schedule();
      });
    }, delay);
  };

  return {
    reserve(userId) {
      if (open >= deps.maxStreams) throw tooMany('too many event streams open on this server, retry later');
      if ((perUser.get(userId) ?? 0) >= deps.maxStreamsPerUser)
        throw tooMany(`at most ${deps.maxStreamsPerUser} event streams per user`);
      open += 1;
      perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open -= 1;
        const left = (perUser.get(userId) ?? 1) - 1;
        if (left <= 0) perUser.delete(userId);
        else perUser.set(userId, left);
      };
    },

    async attach(l) {
      if (!byTenant.has(l.tenantId)) {
        // What the outbox holds already is not news to this tenant's first listener.
        const nowMs = clock.nowMs();
        for (const r of await eventIdsFrom(
          db,
          [l.tenantId],
          orderedIdFloor(nowMs - windowMs),
          MAX_IDS_PER_POLL,
        ))
          seen.set(r.id, idMs(r.id));
      }
      const set = byTenant.get(l.tenantId) ?? new Set<StreamListener>();
      set.add(l);
      byTenant.set(l.tenantId, set);
      schedule();
    },

    detach(l) {
      const set = byTenant.get(l.tenantId);
      if (!set) return;
      set.delete(l);
      if (set.size === 0) byTenant.delete(l.tenantId);
    },

    endAll(reason) {
      for (const l of listeners()) l.end(reason);
    },

    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await polling;
    },

    size: () => open,
  };
};

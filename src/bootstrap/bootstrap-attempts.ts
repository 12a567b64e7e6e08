import type { Clock } from '../core/clock.js';
import { recordEvent } from '../events/index.js';
import type { FailureGuard, FailureKeys } from '../limits/index.js';
import type { Store } from '../store/store.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import type { EventBuffer } from './bootstrap-event-buffer.js';
import type { ConfigRecord, FetchMode } from './bootstrap-types.js';

/** One device attempt, as recorded: no key, proof or secret ever goes into an event. */
export interface AttemptContext {
  mode: FetchMode;
  externalId: string;
  /** The client address as Fastify sees it (`req.ip`: the peer, or X-Forwarded-For from a trusted proxy). */
  address: string;
  keys: FailureKeys;
}

/**
 * The bookkeeping of every device attempt: the rate-limit gate before credentials are looked at,
 * then a failure's counters and `bootstrap.failed` event in one transaction (the event commits
 * with the change it describes: docs/principles.md#events-are-written-with-their-change), or a
 * success's `bootstrap.fetched` event, which changes nothing else and goes through the
 * write-behind buffer.
 */
export const createAttemptOutcomes = (deps: {
  store: Store;
  clock: Clock;
  guard: FailureGuard;
  eventBuffer: EventBuffer;
}) => {
  const { store, clock, guard } = deps;
  const payload = <E extends object>(c: AttemptContext, extra: E) => ({
    mode: c.mode,
    external_id: c.externalId,
    source: c.address,
    ...extra,
  });

  return {
    /** The counters an attempt on `externalId` from `address` counts against. */
    keys: (externalId: string, address: string): FailureKeys => guard.keys(externalId, address),

    /** Refuses (429, recorded write-behind) while a key is locked; returns whether any key has a failure record. */
    async gate(c: AttemptContext, tenantId: string): Promise<boolean> {
      const nowMs = clock.nowMs();
      const { retryAfter, known } = await guard.check(c.keys, nowMs);
      if (retryAfter === null) return known;
      // Changes nothing, so it is buffered: a flood against a locked key costs no write per request.
      deps.eventBuffer.add({
        tenantId,
        type: 'bootstrap.failed',
        deviceId: null,
        payload: payload(c, { reason: 'throttled' }),
        nowMs,
      });
      throw bootstrapErrors.throttled(retryAfter);
    },

    /** Clears the pair's counter (only when there is one) and records the fetch (write-behind). */
    async succeeded(c: AttemptContext, known: boolean, record: ConfigRecord): Promise<void> {
      if (known) await guard.recordSuccess(store.db, c.keys);
      deps.eventBuffer.add({
        tenantId: record.config.tenantId,
        type: 'bootstrap.fetched',
        deviceId: record.config.deviceId,
        payload: payload(c, { client_id: record.config.id }),
        nowMs: clock.nowMs(),
      });
    },

    /** Counts the failure, records it in each tenant concerned, and throws the one refusal. */
    async failed(c: AttemptContext, tenantIds: readonly string[], reason: string): Promise<never> {
      const nowMs = clock.nowMs();
      const lockedFor = await store.db.transaction().execute(async (tx) => {
        const locked = await guard.recordFailure(tx, c.keys, nowMs);
        for (const tenantId of new Set(tenantIds)) {
          await recordEvent(tx, {
            tenantId,
            type: 'bootstrap.failed',
            payload: payload(c, { reason: locked === null ? reason : `${reason}; throttled` }),
            nowMs,
          });
        }
        return locked;
      });
      await guard.purge(nowMs);
      if (lockedFor !== null) throw bootstrapErrors.throttled(lockedFor);
      throw bootstrapErrors.refused(reason);
    },
  };
};
export type AttemptOutcomes = ReturnType<typeof createAttemptOutcomes>;

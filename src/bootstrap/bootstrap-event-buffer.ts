import { newOrderedId } from '../core/ids.js';
import { type EventRecord, recordEvents } from '../events/index.js';
import type { Db } from '../store/store.js';

export type BufferedEvent = (EventRecord<'bootstrap.fetched'> | EventRecord<'bootstrap.failed'>) & {
  deviceId: string | null;
};

/**
 * Write-behind for the events of device attempts that change nothing in the database
 * (docs/adr/0008-bootstrap.md): successful fetches, whose synchronous event write would be most of
 * their cost, and attempts refused while their key is locked, which must not cost a write each. Events are written in one statement every `flushIntervalMs`, or at once when `maxPending`
 * have gathered; close() writes the rest. A crash loses at most the last interval's events.
 * Counted failures are not buffered: they are written with their rate-limit counters.
 */
export interface EventBuffer {
  add(e: BufferedEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const createEventBuffer = (deps: {
  db: Db;
  flushIntervalMs?: number;
  maxPending?: number;
  /** A batch that could not be written (logged by the caller; the batch is dropped). */
  onError: (e: unknown) => void;
}): EventBuffer => {
  const maxPending = deps.maxPending ?? 500;
  let pending: (BufferedEvent & { id: string })[] = [];
  let flushing: Promise<void> = Promise.resolve();

  const flush = () => {
    if (pending.length === 0) return flushing;
    const batch = pending;
    pending = [];
    flushing = flushing.then(() => recordEvents(deps.db, batch)).catch((e) => deps.onError(e));
    return flushing;
  };
  const timer = setInterval(flush, deps.flushIntervalMs ?? 200);
  timer.unref();

  return {
    add(e) {
      // The id is taken now, not at flush time, so the event is ordered where it happened.
      pending.push({ ...e, id: newOrderedId(e.nowMs) });
      if (pending.length >= maxPending) void flush();
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
};

import { CACHE_BOUNDS } from '../config/cache-bounds.js';
import { createLru, NO_OPTIONS } from '../core/lru.js';
import type { Db } from '../store/store.js';
import { writeCheckInTimes } from './devauth-repo-devices.js';

/**
 * Device check-in times, written in batches off the request path. A polling device would
 * otherwise cost a write per request: each process records a device at most once per
 * `minGapMs` and flushes what it collected every `flushIntervalMs` in one statement per 500
 * devices. So `check_in_time` lags reality by up to minGapMs + flushIntervalMs.
 */
export interface CheckInRecorder {
  record(deviceId: string, nowMs: number): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

const BATCH = 500;

export const createCheckInRecorder = (deps: {
  db: Db;
  minGapMs?: number;
  flushIntervalMs?: number;
  /** A batch that could not be written (logged by the caller; the batch is dropped). */
  onError: (e: unknown) => void;
}): CheckInRecorder => {
  const minGapMs = deps.minGapMs ?? 60_000;
  // A device forgotten here (the least recently seen, when full) is only recorded once more.
  const lastRecorded = createLru<string, number>(CACHE_BOUNDS.checkIns);
  let pending = new Map<string, number>();
  let flushing: Promise<void> = Promise.resolve();

  const write = async (batch: [string, number][]) => {
    for (let i = 0; i < batch.length; i += BATCH) {
      await writeCheckInTimes(deps.db, batch.slice(i, i + BATCH));
    }
  };

  const flush = () => {
    if (pending.size === 0) return flushing;
    const batch = [...pending.entries()];
    pending = new Map();
    flushing = flushing.then(() => write(batch)).catch((e) => deps.onError(e));
    return flushing;
  };

  const timer = setInterval(flush, deps.flushIntervalMs ?? 5_000);
  timer.unref();

  return {
    record(deviceId, nowMs) {
      if (nowMs - (lastRecorded.get(deviceId, NO_OPTIONS) ?? Number.NEGATIVE_INFINITY) < minGapMs) return;
      lastRecorded.set(deviceId, nowMs, NO_OPTIONS);
      pending.set(deviceId, nowMs);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
};

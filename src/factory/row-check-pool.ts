import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../core/worker-thread.js';
import type { ManifestRecord } from './manifest-read.js';
import { checkRecord, type RowCheck } from './manifest-rows.js';
import type { RowCheckAnswer, RowCheckRequest } from './row-check-worker.js';

/**
 * Checks batches of manifest records. Checking a row parses its public key, which costs about
 * as much as everything the database does for the row, so an import checks on worker threads
 * while its own thread writes the batches before them.
 */
export interface RowChecker {
  check(records: ManifestRecord[]): Promise<RowCheck[]>;
  /** Batches a caller may have out at once and still keep every thread busy. */
  readonly depth: number;
  close(): Promise<void>;
}

/** Checks on the caller's thread (small manifests, and where threads are not wanted). */
export const inlineRowChecker: RowChecker = {
  check: async (records) => records.map(checkRecord),
  depth: 1,
  close: async () => {},
};

/**
 * Threads for checking: every core but the one the import's own thread (or the server's event
 * loop) runs on, at least one, at most four (past that the database is the bound).
 */
export const rowCheckThreads = (): number => Math.max(1, Math.min(4, availableParallelism() - 1));

/**
 * A pool of `threads` worker threads. Each batch goes to the thread with the fewest batches
 * queued; answers come back by id, so a caller awaiting its batches in order gets them in order.
 * A thread that fails fails every batch out and every batch after.
 */
export const openRowCheckPool = (threads: number = rowCheckThreads()): RowChecker => {
  const pending = new Map<number, { resolve: (c: RowCheck[]) => void; reject: (e: Error) => void }>();
  let failure: Error | undefined;
  let closed = false;
  const fail = (e: Error) => {
    failure ??= e;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };
  const pool = Array.from({ length: Math.max(1, threads) }, () => {
    const state = { worker: startSiblingWorker(import.meta.url, 'row-check-worker') as Worker, queued: 0 };
    state.worker.on('message', (a: RowCheckAnswer) => {
      state.queued -= 1;
      const p = pending.get(a.id);
      pending.delete(a.id);
      if ('error' in a) p?.reject(new Error(a.error));
      else p?.resolve(a.checks);
    });
    state.worker.on('error', fail);
    state.worker.on('exit', (code) => {
      if (!closed) fail(new Error(`a row-check thread stopped (exit code ${code})`));
    });
    return state;
  });
  let nextId = 0;
  return {
    depth: pool.length + 1,
    check(records) {
      if (failure) return Promise.reject(failure);
      if (closed) return Promise.reject(new Error('the row-check pool is closed'));
      const id = nextId++;
      const target = pool.reduce((a, b) => (b.queued < a.queued ? b : a));
      return new Promise<RowCheck[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        target.queued += 1;
        const req: RowCheckRequest = { id, records };
        target.worker.postMessage(req);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const p of pending.values()) p.reject(new Error('the row-check pool is closed'));
      pending.clear();
      await Promise.all(pool.map((p) => p.worker.terminate()));
    },
  };
};

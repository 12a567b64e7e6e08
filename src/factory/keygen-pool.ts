import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../core/worker-thread.js';
import type { KeygenJob } from './keygen-job.js';
import type { KeygenPlan } from './keygen-plan.js';
import type { KeygenAnswer, KeygenWorkerData } from './keygen-worker.js';

/**
 * The worker threads of a keygen run. Devices are cut into jobs of consecutive indexes; each
 * worker has at most JOBS_PER_WORKER queued so it never waits for the main thread, and no more
 * than WINDOW_PER_WORKER × workers jobs are out (queued, running, or done but not yet consumed).
 * Answers are handed out in job order whatever order they finish in, so the manifest is the same
 * for the same options, and since a job is only sent when the consumer asks for more, a slow
 * disk under the manifest slows the workers down instead of piling answers up in memory.
 */

export interface KeygenChunk {
  /** Manifest lines of `count` devices. */
  text: string;
  count: number;
}

export interface KeygenPoolOptions {
  plan: KeygenPlan;
  keysDir: string;
  workers: number;
  /** Devices per job; default: jobSize(). */
  jobSize?: number;
}

const JOBS_PER_WORKER = 2;
const WINDOW_PER_WORKER = 4;

/**
 * Devices per job: small enough that every worker gets several jobs (no worker idles through
 * the end of a small run) and progress moves, large enough that messaging is noise next to the
 * keys. One RSA key takes tens of milliseconds (an 8192-bit one seconds), an Ed25519 key tens
 * of microseconds.
 */
export const jobSize = (plan: KeygenPlan, workers: number): number => {
  const cap = plan.keyType === 'rsa' ? (plan.rsaBits > 4096 ? 1 : 4) : 256;
  return Math.max(1, Math.min(cap, Math.ceil(plan.count / (workers * 8))));
};

const startWorker = (workerData: KeygenWorkerData): Worker =>
  startSiblingWorker(import.meta.url, 'keygen-worker', workerData);

export async function* keygenChunks(opts: KeygenPoolOptions): AsyncGenerator<KeygenChunk> {
  const { plan } = opts;
  const size = opts.jobSize ?? jobSize(plan, opts.workers);
  const totalJobs = Math.ceil(plan.count / size);
  const threads = Math.max(1, Math.min(opts.workers, totalJobs));
  const window = threads * WINDOW_PER_WORKER;
  const workerData: KeygenWorkerData = { plan, keysDir: opts.keysDir };

  const answers = new Map<number, KeygenChunk>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };

  const pool = Array.from({ length: threads }, () => {
    const worker = startWorker(workerData);
    const state = { worker, queued: 0 };
    worker.on('message', (a: KeygenAnswer) => {
      state.queued -= 1;
      if ('error' in a) failure ??= new Error(a.error);
      else {
        const start = a.id * size;
        answers.set(a.id, { text: a.text, count: Math.min(size, plan.count - start) });
      }
      signal();
    });
    worker.on('error', (e) => {
      failure ??= e;
      signal();
    });
    worker.on('exit', (code) => {
      if (code !== 0) failure ??= new Error(`a keygen worker stopped (exit code ${code})`);
      signal();
    });
    return state;
  });

  let nextJob = 0;
  let nextOut = 0;
  const dispatch = () => {
    while (nextJob < totalJobs && nextJob - nextOut < window) {
      const free = pool.reduce((a, b) => (b.queued < a.queued ? b : a));
      if (free.queued >= JOBS_PER_WORKER) return;
      const start = nextJob * size;
      const job: KeygenJob = { id: nextJob, start, count: Math.min(size, plan.count - start) };
      free.queued += 1;
      free.worker.postMessage(job);
      nextJob += 1;
    }
  };

  try {
    while (nextOut < totalJobs) {
      if (failure) throw failure;
      dispatch();
      const chunk = answers.get(nextOut);
      if (chunk) {
        answers.delete(nextOut);
        nextOut += 1;
        yield chunk;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    // Also on an error or an early return: no thread outlives the run.
    await Promise.all(pool.map((p) => p.worker.terminate()));
  }
}

import { Worker } from 'node:worker_threads';
import { AppError } from '../core/errors.js';

/**
 * Runs `$regex` filters off the event loop, with a time budget. JavaScript regular expressions
 * backtrack, so a short pattern such as `(a+)+$` can take exponential time on a crafted value; a
 * length limit alone does not prevent that. Matching happens in one worker thread that is
 * terminated (and later replaced) when a job overruns its budget, so a bad pattern costs at most
 * `budgetMs` and never blocks other requests. Evaluating in JavaScript (not in SQL) also gives
 * the same regex dialect on SQLite, which has no REGEXP, and on PostgreSQL.
 */
export interface RegexMatcher {
  /** Indexes of the `values` that `pattern` matches. */
  matchIndexes(pattern: string, values: string[]): Promise<number[]>;
  close(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, pattern, values }) => {
  try {
    const re = new RegExp(pattern);
    const out = [];
    for (let i = 0; i < values.length; i++) if (re.test(values[i])) out.push(i);
    parentPort.postMessage({ id, out });
  } catch (e) {
    parentPort.postMessage({ id, error: String(e && e.message) });
  }
});
`;

const tooExpensive = () =>
  new AppError(
    'INVENTORY_REGEX_TOO_EXPENSIVE',
    400,
    'regular expression too expensive to evaluate; simplify it',
  );
const busy = () =>
  new AppError('INVENTORY_REGEX_BUSY', 503, 'too many regular expression searches in progress; try again');

interface Job {
  id: number;
  pattern: string;
  values: string[];
  resolve(out: number[]): void;
  reject(e: unknown): void;
}

export const createRegexMatcher = (opts: { budgetMs?: number; maxQueued?: number } = {}): RegexMatcher => {
  const budgetMs = opts.budgetMs ?? 1000;
  const maxQueued = opts.maxQueued ?? 32;
  let worker: Worker | undefined;
  let running: { job: Job; timer: NodeJS.Timeout } | undefined;
  const queue: Job[] = [];
  let seq = 0;

  const spawn = (): Worker => {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    // The worker must never keep the process alive.
    w.unref();
    w.on('message', (m: { id: number; out?: number[]; error?: string }) => {
      if (!running || running.job.id !== m.id) return;
      const { job, timer } = running;
      clearTimeout(timer);
      running = undefined;
      if (m.error !== undefined)
        job.reject(new AppError('INVENTORY_BAD_FILTER', 400, 'invalid $regex value'));
      else job.resolve(m.out ?? []);
      next();
    });
    w.on('error', (e) => fail(w, e));
    w.on('exit', () => fail(w, new Error('regex worker exited')));
    return w;
  };

  /** The worker died or was killed: fail the running job, continue with a fresh worker. */
  const fail = (w: Worker, e: unknown) => {
    if (worker !== w) return;
    worker = undefined;
    if (running) {
      clearTimeout(running.timer);
      running.job.reject(e);
      running = undefined;
    }
    next();
  };

  const next = () => {
    if (running) return;
    const job = queue.shift();
    if (!job) return;
    worker ??= spawn();
    const w = worker;
    const timer = setTimeout(() => {
      if (running?.job !== job) return;
      running = undefined;
      worker = undefined;
      job.reject(tooExpensive());
      void w.terminate().finally(next);
    }, budgetMs);
    running = { job, timer };
    w.postMessage({ id: job.id, pattern: job.pattern, values: job.values });
  };

  return {
    matchIndexes(pattern, values) {
      if (values.length === 0) return Promise.resolve([]);
      if (queue.length >= maxQueued) return Promise.reject(busy());
      return new Promise<number[]>((resolve, reject) => {
        seq += 1;
        queue.push({ id: seq, pattern, values, resolve, reject });
        next();
      });
    },
    async close() {
      for (const job of queue.splice(0)) job.reject(new Error('regex matcher closed'));
      const w = worker;
      worker = undefined;
      if (running) {
        clearTimeout(running.timer);
        running.job.reject(new Error('regex matcher closed'));
        running = undefined;
      }
      if (w) await w.terminate();
    },
  };
};

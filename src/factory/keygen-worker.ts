import { parentPort, workerData } from 'node:worker_threads';
import { type KeygenJob, runKeygenJob } from './keygen-job.js';
import type { KeygenPlan } from './keygen-plan.js';

/** Worker thread entry of the keygen pool (keygen-pool.ts): one job message in, one answer out. */

export interface KeygenWorkerData {
  plan: KeygenPlan;
  keysDir: string;
}
export type KeygenAnswer = { id: number; text: string } | { id: number; error: string };

const { plan, keysDir } = workerData as KeygenWorkerData;
const port = parentPort;
if (!port) throw new Error('keygen-worker runs as a worker thread');

port.on('message', (job: KeygenJob) => {
  let answer: KeygenAnswer;
  try {
    answer = { id: job.id, text: runKeygenJob(plan, keysDir, job) };
  } catch (e) {
    answer = { id: job.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(answer);
});

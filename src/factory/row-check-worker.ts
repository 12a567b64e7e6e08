import { parentPort } from 'node:worker_threads';
import type { ManifestRecord } from './manifest-read.js';
import { checkRecord, type RowCheck } from './manifest-rows.js';

/** Worker thread entry of the row-check pool (row-check-pool.ts): a batch of records in, its checks out. */

export interface RowCheckRequest {
  id: number;
  records: ManifestRecord[];
}
export type RowCheckAnswer = { id: number; checks: RowCheck[] } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('row-check-worker runs as a worker thread');

port.on('message', (req: RowCheckRequest) => {
  let answer: RowCheckAnswer;
  try {
    answer = { id: req.id, checks: req.records.map(checkRecord) };
  } catch (e) {
    answer = { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(answer);
});

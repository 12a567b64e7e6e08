import { createHash, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { signManifest } from '../../src/factory/index.js';

/**
 * A signed JSON Lines manifest of `rows` devices with Ed25519 keys (RSA keys for a million devices
 * would take hours to generate; key parsing per type is reported separately). Keys are made on
 * every core; the file is written as they come, so memory stays flat.
 */

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { generateKeyPairSync } = require('node:crypto');
const { from, to } = workerData;
const CHUNK = 2000;
for (let start = from; start < to; start += CHUNK) {
  const lines = [];
  for (let i = start; i < Math.min(to, start + CHUNK); i++) {
    const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
    lines.push(JSON.stringify({ identity: { serialnumber: 'SN-' + String(i).padStart(8, '0'), mac: '02:' + [24, 16, 8, 0].map((s) => ((i >>> s) & 255).toString(16).padStart(2, '0')).join(':') }, pubkey: pem }) + '\\n');
  }
  parentPort.postMessage({ start, text: lines.join('') });
}
`;

export interface BenchManifest {
  path: string;
  rows: number;
  bytes: number;
  factoryPublicPem: string;
}

export const writeBenchManifest = async (path: string, rows: number): Promise<BenchManifest> => {
  const factory = generateKeyPairSync('ed25519');
  const workers = Math.max(1, Math.min(availableParallelism(), 8));
  const per = Math.ceil(rows / workers);
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  let bytes = 0;
  // Chunks are written in sequence order: a chunk that arrives early waits in `byIndex`.
  const starts: number[] = [];
  for (let w = 0; w < workers; w++)
    for (let s = w * per; s < Math.min(rows, (w + 1) * per); s += 2000) starts.push(s);
  starts.sort((a, b) => a - b);
  const order = new Map(starts.map((s, i) => [s, i]));
  const byIndex = new Map<number, string>();
  let nextIndex = 0;
  let writing = Promise.resolve();
  await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const from = w * per;
      const to = Math.min(rows, from + per);
      if (from >= to) return Promise.resolve();
      const worker = new Worker(WORKER, { eval: true, workerData: { from, to } });
      worker.on('message', (m: { start: number; text: string }) => {
        byIndex.set(order.get(m.start) as number, m.text);
        writing = writing.then(async () => {
          for (let text = byIndex.get(nextIndex); text !== undefined; text = byIndex.get(nextIndex)) {
            byIndex.delete(nextIndex);
            nextIndex++;
            hash.update(text);
            bytes += Buffer.byteLength(text);
            if (!out.write(text)) await once(out, 'drain');
          }
        });
      });
      return new Promise<void>((resolve, reject) => {
        worker.once('exit', () => resolve());
        worker.once('error', reject);
      });
    }),
  );
  await writing;
  out.end();
  await once(out, 'finish');
  writeFileSync(`${path}.sig`, signManifest(factory.privateKey, hash.digest('hex')));
  return {
    path,
    rows,
    bytes,
    factoryPublicPem: factory.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};

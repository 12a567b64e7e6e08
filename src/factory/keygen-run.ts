import { createHash, type KeyObject } from 'node:crypto';
import { open } from 'node:fs/promises';
import { manifestHeader } from './keygen-manifest.js';
import { discardOutput, finishOutput, outputPaths, prepareOutput } from './keygen-output.js';
import { type KeygenPlan, keyTypeLabel } from './keygen-plan.js';
import { keygenChunks } from './keygen-pool.js';
import { signManifest } from './manifest-signature.js';

/**
 * One `gatehouse keygen` run: workers make keys and manifest lines (keygen-pool.ts), this
 * thread appends the lines in device order to the staged manifest while hashing them, so the
 * signature needs no second pass over a manifest that may be gigabytes long, then signs and
 * publishes (keygen-output.ts). Memory is bounded by the pool's window, whatever the count.
 */

export interface KeygenRunOptions {
  outDir: string;
  plan: KeygenPlan;
  workers: number;
  /** Factory private key (already checked with parseFactoryPrivateKey). */
  signWith?: KeyObject;
  /** Devices done so far (called once per job). */
  onProgress?: (done: number) => void;
  /** A line for the operator (cleanup after an interrupted run). */
  onNotice?: (line: string) => void;
}

export interface KeygenSummary {
  count: number;
  keyType: string;
  format: KeygenPlan['format'];
  outDir: string;
  keysDir: string;
  manifest: string;
  manifestSha256: string;
  signature: string | null;
  workers: number;
  seconds: number;
  keysPerSecond: number;
}

export const runKeygen = async (opts: KeygenRunOptions): Promise<KeygenSummary> => {
  const { plan } = opts;
  const started = performance.now();
  const out = outputPaths(opts.outDir, plan.format);
  await prepareOutput(out, plan.format, opts.onNotice);
  const hash = createHash('sha256');
  let done = 0;
  try {
    const fh = await open(out.staging.manifest, 'wx');
    try {
      const append = async (text: string) => {
        const bytes = Buffer.from(text, 'utf8');
        hash.update(bytes);
        await fh.write(bytes);
      };
      await append(manifestHeader(plan));
      for await (const chunk of keygenChunks({ plan, keysDir: out.staging.keysDir, workers: opts.workers })) {
        await append(chunk.text);
        done += chunk.count;
        opts.onProgress?.(done);
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    const manifestSha256 = hash.digest('hex');
    let signature: string | null = null;
    if (opts.signWith) {
      const sig = await open(out.staging.signature, 'wx');
      try {
        await sig.write(`${signManifest(opts.signWith, manifestSha256)}\n`);
        await sig.sync();
      } finally {
        await sig.close();
      }
      signature = out.signature;
    }
    await finishOutput(out, opts.onNotice);
    const seconds = (performance.now() - started) / 1000;
    return {
      count: plan.count,
      keyType: keyTypeLabel(plan),
      format: plan.format,
      outDir: out.dir,
      keysDir: out.keysDir,
      manifest: out.manifest,
      manifestSha256,
      signature,
      workers: opts.workers,
      seconds,
      keysPerSecond: plan.count / seconds,
    };
  } catch (e) {
    await discardOutput(out);
    throw e;
  }
};

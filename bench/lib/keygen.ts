/**
 * `gatehouse keygen` throughput (issue #10) as a ratio of raw key generation on all cores,
 * measured in the same run, and keygen's peak memory at two sizes. Self-contained: its own
 * table and bench/results/keygen.json, one call at the end of bench/run.ts.
 *
 * - keygen: the command as an operator runs it (`node bin/gatehouse.js keygen`, or from the
 *   sources through tsx when dist/ is stale, which the table then says), in a temporary
 *   directory, timed from spawn to exit: process start, worker threads, key files, manifest.
 * - raw: one worker thread per core, each calling crypto.generateKeyPairSync in a loop (no
 *   encoding, no I/O), timed from the first job to the last answer (threads already started).
 * - memory: the keygen process's VmHWM (the kernel's peak RSS, worker threads included), read
 *   from /proc every 50 ms until it exits.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { BIN, builtCliStaleness, REPO } from '../../test/e2e/helpers/keygen.js';
import { fmtInt, fmtRatio, renderTable } from './table.js';

export interface KeygenBenchSettings {
  quick: boolean;
  log(line: string): void;
}

type BenchKeyType = 'rsa' | 'ed25519';

interface KeygenRun {
  count: number;
  seconds: number;
  keysPerSecond: number;
  peakRssBytes: number | null;
  problem: string | null;
}

const RAW_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { generateKeyPairSync } = require('node:crypto');
const opts = workerData.type === 'rsa' ? { modulusLength: workerData.bits } : undefined;
parentPort.on('message', (count) => {
  for (let i = 0; i < count; i++) generateKeyPairSync(workerData.type, opts);
  parentPort.postMessage('done');
});
parentPort.postMessage('ready');
`;

/** Keys per second of `threads` workers generating `count` keys between them, no I/O. */
const measureRaw = async (type: BenchKeyType, count: number, threads: number): Promise<number> => {
  const workers = Array.from(
    { length: threads },
    () => new Worker(RAW_WORKER, { eval: true, workerData: { type, bits: 3072 } }),
  );
  try {
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const started = performance.now();
    await Promise.all(
      workers.map((w, i) => {
        const share = Math.floor(count / threads) + (i < count % threads ? 1 : 0);
        return new Promise((resolve, reject) => {
          w.once('message', resolve);
          w.once('error', reject);
          w.postMessage(share);
        });
      }),
    );
    return count / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
};

const hwmBytes = (pid: number): number | null => {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
};

/** The keygen command: from dist/ when it is current, else from the sources through tsx. */
const keygenCommand = (): { args: string[]; fromSources: string | null } => {
  const stale = builtCliStaleness();
  return stale
    ? { args: ['--import', 'tsx', join(REPO, 'src', 'main.ts'), 'keygen'], fromSources: stale }
    : { args: [BIN, 'keygen'], fromSources: null };
};

const runKeygenCommand = async (type: BenchKeyType, count: number, command: string[]): Promise<KeygenRun> => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-bench-keygen-'));
  const out = join(dir, 'out');
  try {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        ...command,
        '--out',
        out,
        '--count',
        String(count),
        '--type',
        type,
        '--identity',
        'serialnumber=SN-{seq:08}',
        '--identity',
        'mac={mac}',
        '--mac-start',
        '02:00:00:00:00:01',
        '--json',
      ],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdout.resume();
    let peak: number | null = null;
    const sampler = setInterval(() => {
      const hwm = child.pid === undefined ? null : hwmBytes(child.pid);
      if (hwm !== null) peak = Math.max(peak ?? 0, hwm);
    }, 50);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const lines = existsSync(join(out, 'manifest.jsonl'))
      ? readFileSync(join(out, 'manifest.jsonl'), 'utf8').split('\n').length - 1
      : 0;
    const problem =
      code !== 0
        ? `keygen exited ${code}: ${stderr.trim().split('\n').at(-1)}`
        : lines !== count
          ? `manifest has ${lines} lines, expected ${count}`
          : null;
    return { count, seconds, keysPerSecond: count / seconds, peakRssBytes: peak, problem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const MiB = 1024 * 1024;
const fmtMiB = (b: number | null) => (b === null ? 'n/a' : `${(b / MiB).toFixed(1)} MiB`);

/** Runs the keygen cases, prints their table, writes bench/results/keygen.json; returns the problems. */
export const runKeygenBench = async (s: KeygenBenchSettings): Promise<string[]> => {
  const cores = availableParallelism();
  const command = keygenCommand();
  if (command.fromSources) s.log(`keygen: ${command.fromSources}; measuring from the sources (slower start)`);

  // RSA-3072 is slow and machines differ tenfold: size the run from one key's time, for about
  // TARGET seconds of raw generation on all cores.
  const target = s.quick ? 3 : 8;
  const t0 = performance.now();
  await measureRaw('rsa', 2, 1);
  const rsaKeySeconds = (performance.now() - t0) / 1000 / 2;
  const rsaCount = Math.max(cores * 2, Math.min(2_000, Math.round((target * cores) / rsaKeySeconds)));
  const edSmall = 2_000;
  const edLarge = s.quick ? 20_000 : 50_000;

  const results: Record<string, { raw: number; keygen: KeygenRun }> = {};
  for (const [label, type, count] of [
    ['RSA-3072', 'rsa', rsaCount],
    ['Ed25519', 'ed25519', edLarge],
  ] as const) {
    s.log(`keygen: ${label}, ${fmtInt(count)} keys raw on ${cores} threads, then gatehouse keygen`);
    const raw = await measureRaw(type, count, cores);
    const keygen = await runKeygenCommand(type, count, command.args);
    results[label] = { raw, keygen };
  }
  s.log(`keygen: Ed25519, ${fmtInt(edSmall)} keys (memory)`);
  const small = await runKeygenCommand('ed25519', edSmall, command.args);
  const large = results.Ed25519?.keygen;

  const ratios: Record<string, number | null> = {};
  const rows = Object.entries(results).map(([label, r]) => {
    const ratio = r.keygen.problem ? null : r.keygen.keysPerSecond / r.raw;
    ratios[`keygen.${label === 'RSA-3072' ? 'rsa3072' : 'ed25519'}_per_raw`] = ratio;
    return [
      label,
      fmtInt(r.keygen.count),
      fmtInt(r.raw),
      r.keygen.problem ? 'FAILED' : fmtInt(r.keygen.keysPerSecond),
      ratio === null ? 'INVALID' : fmtRatio(ratio),
      fmtMiB(r.keygen.peakRssBytes),
    ];
  });
  const memRatio =
    large?.peakRssBytes && small.peakRssBytes && !large.problem && !small.problem
      ? large.peakRssBytes / small.peakRssBytes
      : null;
  ratios['keygen.peak_rss_large_per_small'] = memRatio;
  const problems = [...Object.values(results).map((r) => r.keygen), small]
    .filter((r) => r.problem)
    .map((r) => `keygen ${fmtInt(r.count)}: ${r.problem}`);

  console.log(
    [
      '',
      `KEYGEN (issue #10): ${cores} cores; keygen = the whole command (start to exit, key files and manifest written)${command.fromSources ? ', FROM SOURCES (dist/ stale)' : ''}`,
      renderTable(['keys', 'count', 'raw keys/s', 'keygen keys/s', 'keygen/raw', 'keygen peak RSS'], rows),
      `keygen peak RSS, Ed25519: ${fmtInt(edSmall)} keys ${fmtMiB(small.peakRssBytes)}, ${fmtInt(edLarge)} keys ${fmtMiB(large?.peakRssBytes ?? null)}: ratio ${memRatio === null ? 'n/a' : fmtRatio(memRatio)} (1.0 = flat)`,
      ...problems.map((p) => `PROBLEM ${p}`),
    ].join('\n'),
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'keygen.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ cores, fromSources: command.fromSources, rsaKeySeconds, ratios, results, memory: { small, large }, problems }, null, 2)}\n`,
  );
  s.log(`wrote ${out}`);
  return problems;
};

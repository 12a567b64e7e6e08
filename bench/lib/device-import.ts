import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/config.js';
import { canonicalIdentity, parseDevicePublicKey } from '../../src/devauth/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { openGatehouse } from '../../src/wiring.js';
import { type BenchDatabase, createBenchDatabase, type DialectName } from './databases.js';
import { type BenchManifest, writeBenchManifest } from './import-manifest.js';
import { startServerProcess } from './server-process.js';

/**
 * Bulk preauthorization (issue: factory provisioning at scale), per dialect:
 * - baseline: the same rows (device + auth set) inserted with plain multi-row INSERTs, 500 rows per
 *   transaction, already parsed, into a fresh database of the same dialect;
 * - `gatehouse devices import` of the signed manifest in a process of its own: rows/s as a ratio
 *   of the baseline, and the process's peak RSS (VmHWM) at two manifest sizes;
 * - the same manifest through the API (`serve`'s import worker): the server's peak RSS.
 * Peak RSS that does not grow with the row count shows that both ends stream.
 */

const BIN = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

export interface ImportCase {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMiB: number | null;
}

export interface DeviceImportResult {
  manifestRows: number;
  baselineRowsPerSecond: number;
  cli: ImportCase;
  cliSmall: ImportCase;
  server: ImportCase;
  serverSmall: ImportCase;
  ratio: number;
}

const MiB = 2 ** 20;

/** Runs the built CLI, sampling its VmHWM until it exits. */
export const runCliImport = async (
  db: BenchDatabase,
  manifest: string,
  rows: number,
): Promise<ImportCase> => {
  const env = {
    ...process.env,
    GATEHOUSE_DATA_DIR: db.dataDir,
    GATEHOUSE_DATABASE_URL: db.url,
    GATEHOUSE_LOG_LEVEL: 'silent',
  };
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, 'devices', 'import', manifest, '--json'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let hwm = 0;
  const sampler = setInterval(() => {
    try {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) hwm = Math.max(hwm, Number(m[1]) * 1024);
    } catch {
      // exited between two samples
    }
  }, 100);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0)
    throw new Error(`devices import exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`);
  const report = JSON.parse(Buffer.concat(out).toString()) as { counts: { created: number } };
  if (report.counts.created !== rows)
    throw new Error(`devices import created ${report.counts.created} of ${rows}`);
  return { rows, seconds, rowsPerSecond: rows / seconds, peakRssMiB: hwm > 0 ? hwm / MiB : null };
};

export const registerFactory = async (db: BenchDatabase, publicPem: string) => {
  const gh = await openGatehouse(
    loadConfig({ dataDir: db.dataDir, databaseUrl: db.url, logLevel: 'silent' }, {}),
  );
  try {
    await gh.factory.factories.register(DEFAULT_TENANT_ID, { name: 'bench', publicKeyPem: publicPem });
  } finally {
    await gh.close();
  }
};

/** Plain batched inserts of the manifest's rows (parsed beforehand, not timed). */
export const baseline = async (db: BenchDatabase, manifest: BenchManifest): Promise<number> => {
  const gh = await openGatehouse(
    loadConfig({ dataDir: db.dataDir, databaseUrl: db.url, logLevel: 'silent' }, {}),
  );
  try {
    const text = readFileSync(manifest.path, 'utf8');
    let rows: { id: string; idText: string; idSha: string; pem: string; keySha: string; type: string }[] = [];
    let n = 0;
    let seconds = 0;
    const flush = async () => {
      const now = Date.now();
      const t0 = performance.now();
      await gh.store.db.transaction().execute(async (tx) => {
        await tx
          .insertInto('devices')
          .values(
            rows.map((r) => ({
              id: r.id,
              tenant_id: DEFAULT_TENANT_ID,
              id_data: r.idText,
              id_data_sha256: r.idSha,
              status: 'preauthorized',
              created_at: now,
              updated_at: now,
              check_in_at: null,
            })),
          )
          .execute();
        await tx
          .insertInto('auth_sets')
          .values(
            rows.map((r) => ({
              id: `${r.id}-a`,
              tenant_id: DEFAULT_TENANT_ID,
              device_id: r.id,
              pubkey: r.pem,
              pubkey_sha256: r.keySha,
              key_type: r.type,
              status: 'preauthorized',
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
      });
      seconds += (performance.now() - t0) / 1000;
      rows = [];
    };
    for (let start = 0; start < text.length; ) {
      const end = text.indexOf('\n', start);
      const line = text.slice(start, end);
      start = end + 1;
      const row = JSON.parse(line) as { identity: Record<string, string>; pubkey: string };
      const id = canonicalIdentity(row.identity);
      const key = parseDevicePublicKey(row.pubkey);
      rows.push({
        id: `b${n++}`,
        idText: id.text,
        idSha: id.sha256,
        pem: key.pem,
        keySha: key.sha256,
        type: key.type,
      });
      if (rows.length === 500) await flush();
    }
    if (rows.length > 0) await flush();
    return n / seconds;
  } finally {
    await gh.close();
  }
};

const serverImport = async (db: BenchDatabase, manifest: BenchManifest): Promise<ImportCase> => {
  await registerFactory(db, manifest.factoryPublicPem);
  const server = await startServerProcess({
    dataDir: db.dataDir,
    databaseUrl: db.url,
    sampleMs: 50,
    importWorker: true,
    importPollIntervalMs: 50,
  });
  try {
    await server.mark();
    const started = performance.now();
    const res = await fetch(`${server.url}/api/management/v2/devauth/imports`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.userToken}`,
        'content-type': 'application/jsonl',
        'x-gatehouse-manifest-signature': readFileSync(`${manifest.path}.sig`, 'utf8').trim(),
      },
      body: createReadStream(manifest.path) as unknown as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    if (res.status !== 202) throw new Error(`POST imports: ${res.status} ${await res.text()}`);
    const { id } = (await res.json()) as { id: string };
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const job = (await (
        await fetch(`${server.url}/api/management/v2/devauth/imports/${id}`, {
          headers: { authorization: `Bearer ${server.userToken}` },
        })
      ).json()) as { status: string; counts: { created: number }; error?: string };
      if (job.status === 'failed') throw new Error(`import failed: ${job.error}`);
      if (job.status === 'succeeded') {
        if (job.counts.created !== manifest.rows)
          throw new Error(`import created ${job.counts.created} of ${manifest.rows}`);
        break;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const mem = await server.peak();
    return {
      rows: manifest.rows,
      seconds,
      rowsPerSecond: manifest.rows / seconds,
      peakRssMiB: mem.peakRss / MiB,
    };
  } finally {
    await server.close();
  }
};

const fresh = async <T>(dialect: DialectName, fn: (db: BenchDatabase) => Promise<T>): Promise<T> => {
  const db = await createBenchDatabase(dialect);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
};

/** Per-key-type cost of what the import does per row before any database work (parse + fingerprint). */
export const keyParseRates = (budgetMs: number): Record<string, number> => {
  const out: Record<string, number> = {};
  const kinds = {
    ed25519: () => generateKeyPairSync('ed25519'),
    'ecdsa-p256': () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    'rsa-3072': () => generateKeyPairSync('rsa', { modulusLength: 3072 }),
  };
  for (const [name, make] of Object.entries(kinds)) {
    const pem = make().publicKey.export({ type: 'spki', format: 'pem' }).toString();
    let n = 0;
    const end = performance.now() + budgetMs;
    while (performance.now() < end) {
      parseDevicePublicKey(pem);
      n++;
    }
    out[name] = n / (budgetMs / 1000);
  }
  return out;
};

export const runDeviceImportBench = async (
  dialect: DialectName,
  opts: { rows: number; smallRows: number; log: (l: string) => void },
): Promise<DeviceImportResult> => {
  const dir = join(tmpdir(), `gh-bench-manifest-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  try {
    opts.log(
      `  import: writing a ${opts.rows.toLocaleString('en-US')}-row manifest and a ${opts.smallRows.toLocaleString('en-US')}-row one`,
    );
    const big = await writeBenchManifest(join(dir, 'big.jsonl'), opts.rows);
    const small = await writeBenchManifest(join(dir, 'small.jsonl'), opts.smallRows);
    opts.log('  import: baseline (plain batched inserts)');
    const baselineRowsPerSecond = await fresh(dialect, (db) => baseline(db, big));
    opts.log('  import: gatehouse devices import (CLI process)');
    const cli = await fresh(dialect, async (db) => {
      await registerFactory(db, big.factoryPublicPem);
      return runCliImport(db, big.path, big.rows);
    });
    const cliSmall = await fresh(dialect, async (db) => {
      await registerFactory(db, small.factoryPublicPem);
      return runCliImport(db, small.path, small.rows);
    });
    opts.log('  import: through the API (server process)');
    const server = await fresh(dialect, (db) => serverImport(db, big));
    const serverSmall = await fresh(dialect, (db) => serverImport(db, small));
    return {
      manifestRows: opts.rows,
      baselineRowsPerSecond,
      cli,
      cliSmall,
      server,
      serverSmall,
      ratio: cli.rowsPerSecond / baselineRowsPerSecond,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export const renderDeviceImport = (
  results: Partial<Record<DialectName, DeviceImportResult>>,
  parse: Record<string, number>,
): string => {
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  const mib = (n: number | null) => (n === null ? 'n/a' : `${Math.round(n)} MiB`);
  const lines = ['', 'DEVICE IMPORT (bulk preauthorization of a signed manifest, Ed25519 keys)'];
  for (const [dialect, r] of Object.entries(results)) {
    if (!r) continue;
    lines.push(
      `  ${dialect}: ${f(r.manifestRows)} rows — baseline ${f(r.baselineRowsPerSecond)} rows/s (plain batched inserts of device + auth set)`,
      `    CLI import     ${f(r.cli.rowsPerSecond)} rows/s in ${r.cli.seconds.toFixed(0)} s   ratio ${r.ratio.toFixed(2)}   peak RSS ${mib(r.cli.peakRssMiB)} (${f(r.cliSmall.rows)} rows: ${mib(r.cliSmall.peakRssMiB)})`,
      `    API import     ${f(r.server.rowsPerSecond)} rows/s in ${r.server.seconds.toFixed(0)} s   server peak RSS ${mib(r.server.peakRssMiB)} (${f(r.serverSmall.rows)} rows: ${mib(r.serverSmall.peakRssMiB)})`,
    );
  }
  lines.push(
    `  key parse + fingerprint per row: ${Object.entries(parse)
      .map(([k, v]) => `${k} ${f(v)}/s`)
      .join(', ')}`,
  );
  return lines.join('\n');
};

export const writeJson = (path: string, data: unknown) => writeFileSync(path, JSON.stringify(data, null, 2));

/**
 * The device import section of `npm run bench` (after the others, on a quiet machine): a table on
 * stdout and bench/results/device-import.json.
 */
export const runDeviceImportSection = async (opts: {
  rows: number;
  dialects: DialectName[];
  resultsDir: string;
  log: (l: string) => void;
  skipPostgres?: string | null;
}): Promise<void> => {
  opts.log(`device import: ${opts.rows.toLocaleString('en-US')} rows`);
  const results: Partial<Record<DialectName, DeviceImportResult>> = {};
  const errors: Record<string, string> = {};
  for (const dialect of opts.dialects) {
    if (dialect === 'postgres' && opts.skipPostgres) {
      errors.postgres = `skipped: ${opts.skipPostgres}`;
      continue;
    }
    opts.log(` ${dialect}:`);
    try {
      results[dialect] = await runDeviceImportBench(dialect, {
        rows: opts.rows,
        smallRows: Math.max(1000, Math.round(opts.rows / 10)),
        log: opts.log,
      });
    } catch (e) {
      errors[dialect] = e instanceof Error ? (e.stack ?? e.message) : String(e);
      opts.log(`  failed: ${errors[dialect]}`);
    }
  }
  const parse = keyParseRates(500);
  console.log(renderDeviceImport(results, parse));
  writeJson(join(opts.resultsDir, 'device-import.json'), {
    rows: opts.rows,
    results,
    keyParsePerSecond: parse,
    errors,
  });
};

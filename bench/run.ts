/**
 * `npm run bench`: throughput of Gatehouse's device paths, reported as ratios against baselines
 * measured in the same run on the same machine. What each number means: bench/README.md.
 *
 *   npm run bench                     default durations (about 6 minutes)
 *   npm run bench -- --quick          smoke run (short durations, fewer devices, 256 MiB artifact)
 *   options: --duration=S --warmup=S --connections=N --devices=N --poll-devices=N --dialects=sqlite,postgres
 *            --no-big --big-mib=N --strict
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { issue12Aims, renderAims } from './lib/aims.js';
import {
  BARE_PATH,
  measureSignatureBaseline,
  type SignatureBaseline,
  startBareFastify,
} from './lib/baselines.js';
import { removeBigArtifactDirs, runBigArtifact } from './lib/big-artifact.js';
import { runBootstrapBench } from './lib/bootstrap.js';
import { makeCertDevice, measureCertBaseline } from './lib/cert-auth.js';
import { type DialectName, dropLiveDatabases, PG_ADMIN_URL, postgresUnavailable } from './lib/databases.js';
import { runDeviceImportSection } from './lib/device-import.js';
import { runDeviceScaleBench } from './lib/device-scale.js';
import { runDialect } from './lib/dialect-run.js';
import { makeSignedAuthRequest } from './lib/gatehouse.js';
import { type HttpCaseResult, measureHttp } from './lib/http-case.js';
import { MiB } from './lib/http-transfer.js';
import { runKeygenBench } from './lib/keygen.js';
import { startLoadGenerator } from './lib/load-generator.js';
import { runPolling } from './lib/polling.js';
import { type BenchOutcome, collectProblems, type Machine, ratios, renderReport } from './lib/report.js';
import { killServerProcesses } from './lib/server-process.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const KEY_KINDS = ['ed25519', 'ec', 'rsa3072'] as const;
const USAGE = `usage: npm run bench [-- --quick] [--duration=S] [--warmup=S] [--connections=N] [--devices=N]
                     [--poll-devices=N] [--dialects=sqlite,postgres] [--no-big] [--big-mib=N] [--strict]
  --quick        smoke run: 1 s per case, 0.5 s warm-up, 2,000 polling devices, 256 MiB artifact
  --duration=S   seconds per HTTP case (default 5)      --warmup=S  discarded run before each case (default 1)
  --connections  autocannon connections (default 16)    --devices=N fleet size for the rotated cases (default 1000)
  --poll-devices=N  accepted devices in the polling cases (default 10000)
  --dialects     which stores to run (default sqlite,postgres; PostgreSQL is skipped if unreachable)
  --no-big       skip the artifact upload/download part (it writes about 4 GiB of temporary files)
  --big-mib=N    size of the big artifact's payload in MiB (default 1024; 256 with --quick)
  --strict       exit 1 when a case got non-2xx answers or connection errors (its numbers are invalid)
  --import-rows=N  rows of the device import cases (default 1,000,000; 20,000 with --quick)
  --no-import    skip the device import cases (a million-row import per store takes several minutes)
  --scale-devices=N  fleet of the device-list latency part (default 1000000; 100000 with --quick; 0 skips it)`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    devices: { type: 'string' },
    'poll-devices': { type: 'string' },
    dialects: { type: 'string' },
    'no-big': { type: 'boolean', default: false },
    'big-mib': { type: 'string' },
    'scale-devices': { type: 'string' },
    strict: { type: 'boolean', default: false },
    'no-import': { type: 'boolean', default: false },
    'import-rows': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

const positive = (name: string, raw: string | undefined, dflt: number): number => {
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
  return n;
};
const settings = {
  quick: args.quick,
  durationSeconds: positive('duration', args.duration, args.quick ? 1 : 5),
  warmupSeconds: positive('warmup', args.warmup, args.quick ? 0.5 : 1),
  connections: Math.round(positive('connections', args.connections, 16)),
  fleetSize: Math.round(positive('devices', args.devices, 1000)),
  admissionDevices: args.quick ? 1_500 : 6_000,
  pollDevices: Math.round(positive('poll-devices', args['poll-devices'], args.quick ? 2_000 : 10_000)),
  /** Devices of the polling fleet that install the update through the services (the rest are aborted). */
  finishingDevices: args.quick ? 100 : 500,
  big: !args['no-big'],
  bigBytes: Math.round(positive('big-mib', args['big-mib'], args.quick ? 256 : 1024) * MiB),
  smallBytes: 100 * MiB,
  /** Budget per in-process micro measurement. */
  microMs: args.quick ? 150 : 600,
};
/**
 * Clock speed in the check-in-due case: fast enough that a device comes round more than 60
 * virtual seconds after its previous request even at 20k req/s, slow enough that the fleet's
 * 7-day tokens do not expire during the case.
 */
const warpSpeed = Math.min(
  Math.floor((7 * 86_400) / (2 * (settings.durationSeconds + settings.warmupSeconds))),
  Math.max(5_000, Math.ceil((120 * 20_000) / settings.fleetSize)),
);
const dialects = (args.dialects ?? 'sqlite,postgres').split(',').map((d) => d.trim()) as DialectName[];
for (const d of dialects) {
  if (d !== 'sqlite' && d !== 'postgres') throw new Error(`unknown dialect "${d}" (sqlite, postgres)`);
}

const log = (line: string) => process.stderr.write(`${line}\n`);

const gitCommit = (): string | null => {
  try {
    const out = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: HERE,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.toString().trim();
  } catch {
    return null;
  }
};

const machine: Machine = {
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
  totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  gitCommit: gitCommit(),
  // Other work on the machine skews every number; a load average near the CPU count at the start
  // means the bench is sharing the machine.
  loadAverageAtStart: Math.round((loadavg()[0] ?? 0) * 100) / 100,
};

// Ctrl-C: drop the PostgreSQL database (and temp dirs) of the case in progress.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    // Dropping a database WITH (FORCE) makes the server's busy connections fail: expected now.
    process.on('uncaughtException', () => {});
    killServerProcesses();
    removeBigArtifactDirs();
    // Fire and forget: dropLiveDatabases never rejects (allSettled), and the process exits from
    // its finally, so nothing waits on this promise.
    void dropLiveDatabases().finally(() => process.exit(130));
  });
}

const main = async () => {
  const started = Date.now();
  log(
    `gatehouse bench${settings.quick ? ' (quick)' : ''}: ${settings.durationSeconds} s per case ` +
      `(+${settings.warmupSeconds} s warm-up), ${settings.connections} connections`,
  );

  // Baseline A over the very auth request bodies the auth cases replay.
  log('baseline A: signature verification');
  const authDevices = KEY_KINDS.map((kind, i) => makeSignedAuthRequest(kind, i + 1));
  const signatures: Record<string, SignatureBaseline> = {};
  for (const req of authDevices) signatures[req.kind] = measureSignatureBaseline(req, settings.microMs * 2);
  // The client-certificate case's baseline: the leaf's chain signature + the auth request's.
  const certDevice = await makeCertDevice(100);
  const clientCertificate = measureCertBaseline(certDevice, settings.microMs);

  const outcome: BenchOutcome = {
    machine,
    settings,
    signatures,
    clientCertificate,
    bareRuns: [],
    results: {},
    skipped: {},
    deployments: { polling: {}, pollingErrors: {}, bigArtifact: null },
  };
  const load = await startLoadGenerator();
  const bareServer = await startBareFastify();
  try {
    // Baseline B before and after the Gatehouse cases: a drifting machine shows as a spread.
    const measureBare = async (when: string): Promise<HttpCaseResult> => {
      log(`baseline B: bare Fastify (${when})`);
      return measureHttp(
        load,
        `bare fastify (${when})`,
        {
          url: `${bareServer.url}${BARE_PATH}`,
          method: 'GET',
          headers: {},
          connections: settings.connections,
        },
        settings,
      );
    };
    outcome.bareRuns.push(await measureBare('before'));
    for (const dialect of dialects) {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) {
          outcome.skipped.postgres = `PostgreSQL at ${new URL(PG_ADMIN_URL).host} unreachable (${why})`;
          log(`skipping postgres: ${outcome.skipped.postgres}`);
          continue;
        }
      }
      log(`${dialect}:`);
      outcome.results[dialect] = await runDialect(dialect, load, authDevices, certDevice, {
        ...settings,
        warpSpeed,
        log,
      });
      try {
        outcome.deployments.polling[dialect] = await runPolling(dialect, load, { ...settings, log });
      } catch (e) {
        outcome.deployments.pollingErrors[dialect] = e instanceof Error ? (e.stack ?? e.message) : String(e);
        log(`  ${dialect}: polling failed: ${outcome.deployments.pollingErrors[dialect]}`);
      }
    }
    outcome.bareRuns.push(await measureBare('after'));
  } finally {
    await bareServer.close();
    await load.close();
  }

  // Last, on a quiet machine: the server runs in a process of its own, the client is this one.
  if (settings.big) {
    log(
      `artifacts: upload ${settings.smallBytes / MiB} MiB and ${settings.bigBytes / MiB} MiB, download (SQLite, server in a child process)`,
    );
    try {
      outcome.deployments.bigArtifact = await runBigArtifact({ ...settings, log });
      if ('skipped' in outcome.deployments.bigArtifact)
        log(`  skipped: ${outcome.deployments.bigArtifact.skipped}`);
    } catch (e) {
      outcome.deployments.bigArtifact = { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
      log(`  failed: ${outcome.deployments.bigArtifact.error}`);
    }
  }

  const elapsedSeconds = (Date.now() - started) / 1000;
  const problems = collectProblems(outcome);
  console.log(renderReport(outcome, problems));
  console.log(`\n(total ${elapsedSeconds.toFixed(0)} s)`);

  const flatRatios = ratios(outcome);
  const out = join(HERE, 'results', 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  const json = {
    machine,
    settings: { ...settings, warpSpeed, dialects },
    ratios: flatRatios,
    problems,
    baselines: { signatures, clientCertificate, bareFastify: outcome.bareRuns },
    dialects: outcome.results,
    skipped: outcome.skipped,
    deployments: outcome.deployments,
    elapsedSeconds,
  };
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  log(`wrote ${out}`);
  if (args.strict && problems.length > 0) process.exitCode = 1;
  // Issue #4: bootstrap fetches/s vs a bare route (own baseline, table and bench/results/bootstrap.json).
  const bootstrap = await runBootstrapBench({ ...settings, dialects, log });
  if (args.strict && bootstrap.problems.length > 0) process.exitCode = 1;
  // Issue #10: gatehouse keygen keys/s vs raw key generation on all cores (bench/results/keygen.json).
  const keygenProblems = await runKeygenBench({ quick: settings.quick, log });
  if (args.strict && keygenProblems.length > 0) process.exitCode = 1;
  // Issue #10: bulk preauthorization of a signed manifest vs plain batched inserts, peak RSS.
  if (!args['no-import'])
    await runDeviceImportSection({
      rows: Math.round(positive('import-rows', args['import-rows'], args.quick ? 20_000 : 1_000_000)),
      dialects,
      resultsDir: join(HERE, 'results'),
      log,
      skipPostgres: dialects.includes('postgres') ? await postgresUnavailable() : null,
    });
  // Issue #10: device list, count, filter and search latency at a million devices (bench/results/device-scale.json).
  const scaleProblems = await runDeviceScaleBench({
    devices: Math.round(
      args['scale-devices'] === '0'
        ? 0
        : positive('scale-devices', args['scale-devices'], args.quick ? 100_000 : 1_000_000),
    ),
    requests: args.quick ? 50 : 200,
    dialects,
    log,
  });
  if (args.strict && scaleProblems.length > 0) process.exitCode = 1;
  // Issue 12's aims against this run's numbers, last so the run ends with them (bench/results/aims.json).
  const aims = issue12Aims(outcome, { ...flatRatios, ...bootstrap.ratios });
  console.log(renderAims(aims));
  const aimsOut = join(HERE, 'results', 'aims.json');
  writeFileSync(aimsOut, `${JSON.stringify({ machine, aims }, null, 2)}\n`);
  log(`wrote ${aimsOut}`);
};

main().catch(async (e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  killServerProcesses();
  removeBigArtifactDirs();
  await dropLiveDatabases();
  process.exit(1);
});

/**
 * Bootstrap fetches per second (issue #4), plain (Magistrala's `GET /clients/bootstrap/{id}`)
 * and v2 (challenge + proof + AES-256-GCM), each as a ratio of a bare Fastify route measured in
 * the same run. Self-contained: its own load generator, baseline, report and
 * bench/results/bootstrap.json, so it is one call at the end of bench/run.ts.
 *
 * Plain fetches are driven by autocannon (lib/load-child.ts), one request per fetch, rotating
 * over the fleet. A v2 fetch is two requests whose second depends on the first answer, which
 * autocannon cannot compute, so v2 runs in a client process of its own: this file, forked with
 * V2_CHILD_FLAG, running `connections` loops of challenge → proof → exchange → decrypt.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deviceV2Exchange } from '../../src/bootstrap/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import type { Gatehouse } from '../../src/wiring.js';
import { BARE_PATH, bareCapacity, startBareFastify } from './baselines.js';
import { createBenchDatabase, type DialectName, postgresUnavailable } from './databases.js';
import { startBenchServer } from './gatehouse.js';
import { type HttpCaseResult, measureHttp } from './http-case.js';
import { startLoadGenerator } from './load-generator.js';
import { fmtInt, fmtMs, fmtPct, fmtRatio, renderTable } from './table.js';

const V2_CHILD_FLAG = '--gatehouse-bootstrap-v2-client';

interface Device {
  externalId: string;
  externalKey: string;
}
interface V2Job {
  url: string;
  tenantId: string;
  devices: Device[];
  connections: number;
  durationSeconds: number;
}
interface V2Result {
  fetchesPerSecond: number;
  fetches: number;
  failures: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  clientCpu: number;
}

/** The v2 client: `connections` loops, each fetch = challenge, proof, exchange, decrypt. */
const runV2Job = async (job: V2Job): Promise<V2Result> => {
  // node:http with keep-alive: fetch() (undici) costs several times more CPU per request, and
  // this client must not be the bottleneck it measures.
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const base = new URL(`${job.url}/bootstrap/v2/${job.tenantId}/`);
  const post = (path: string, body: unknown) =>
    new Promise<Record<string, string>>((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const req = request(
        new URL(path, base),
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`${path}: ${res.statusCode}`));
            else resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, string>);
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const until = started + job.durationSeconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const d = job.devices[next++ % job.devices.length] as Device;
      const t0 = performance.now();
      try {
        const c = await post('challenges', { external_id: d.externalId });
        const ex = deviceV2Exchange({
          tenantId: job.tenantId,
          externalId: d.externalId,
          externalKey: d.externalKey,
          challengeId: c.challenge_id as string,
          serverNonce: Buffer.from(c.server_nonce as string, 'base64url'),
        });
        const sealed = await post('configs', ex.body);
        JSON.parse(ex.open(sealed.nonce as string, sealed.ciphertext as string).toString());
        latencies.push(performance.now() - t0);
      } catch (e) {
        const m = e instanceof Error ? e.message : String(e);
        failures[m] = (failures[m] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, loop));
  agent.destroy();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    fetchesPerSecond: latencies.length / (wallMs / 1000),
    fetches: latencies.length,
    failures,
    p50Ms: pct(50),
    p99Ms: pct(99),
    clientCpu: (cpu.user + cpu.system) / 1000 / wallMs,
  };
};

if (process.argv.includes(V2_CHILD_FLAG)) {
  process.on('message', (job: V2Job) => {
    runV2Job(job).then(
      (r) => process.send?.({ ok: r }),
      (e: unknown) => process.send?.({ error: e instanceof Error ? e.message : String(e) }),
    );
  });
}

const startV2Client = () => {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [V2_CHILD_FLAG], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    run: (job: V2Job) =>
      new Promise<V2Result>((resolve, reject) => {
        child.once('message', (m: { ok?: V2Result; error?: string }) =>
          m.ok ? resolve(m.ok) : reject(new Error(`v2 client: ${m.error}`)),
        );
        child.send(job);
      }),
    close: () => {
      if (child.exitCode === null) child.kill();
    },
  };
};

export interface BootstrapBenchSettings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  quick: boolean;
  dialects: DialectName[];
  log(line: string): void;
}

interface DialectOutcome {
  plain: HttpCaseResult;
  v2: V2Result & { serverCpu: number; problem: string | null };
}

const PEM = `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'.repeat(6)}\n-----END PRIVATE KEY-----\n`;

/** Seeds `count` enabled configs on two channels, each with content and a client key; returns their credentials. */
export const seedBootstrapConfigs = async (
  gh: Gatehouse,
  tenantId: string,
  count: number,
): Promise<Device[]> => {
  const { configs, channels } = gh.bootstrap;
  const chs = [
    (await channels.create(tenantId, { name: 'telemetry' })).id,
    (await channels.create(tenantId, { name: 'control', metadata: { qos: 1 } })).id,
  ];
  const devices: Device[] = [];
  for (let i = 0; i < count; i++) {
    const d = {
      externalId: `02:b5:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`,
      externalKey: `bench-key-${i}-0123456789abcdef`,
    };
    const c = await configs.create(tenantId, {
      ...d,
      channels: chs,
      content: JSON.stringify({ broker: 'mqtts://broker.example:8883', device: d.externalId }),
      clientKey: PEM,
    });
    await configs.setState(tenantId, c.id, 1);
    devices.push(d);
  }
  return devices;
};

/** The load of plain fetches: one GET per fetch, rotating over `devices`. */
export const plainFetchLoad = (url: string, devices: readonly Device[], connections: number) => ({
  url: `${url}/`,
  method: 'GET' as const,
  headers: {},
  templates: devices.map((d) => ({
    method: 'GET' as const,
    path: `/bootstrap/clients/bootstrap/${encodeURIComponent(d.externalId)}`,
    headers: { authorization: `Client ${d.externalKey}` },
  })),
  connections,
});

/** Runs the bootstrap cases, prints their table, writes bench/results/bootstrap.json; returns the problems and ratios. */
export const runBootstrapBench = async (
  s: BootstrapBenchSettings,
): Promise<{ problems: string[]; ratios: Record<string, number | null> }> => {
  const fleet = s.quick ? 200 : 1000;
  const timing = { durationSeconds: s.durationSeconds, warmupSeconds: s.warmupSeconds };
  const load = await startLoadGenerator();
  const bare = await startBareFastify();
  const v2Client = startV2Client();
  const bareRuns: HttpCaseResult[] = [];
  const results: Partial<Record<DialectName, DialectOutcome>> = {};
  const skipped: Partial<Record<DialectName, string>> = {};
  const measureBare = async (when: string) => {
    s.log(`bootstrap: baseline bare Fastify (${when})`);
    bareRuns.push(
      await measureHttp(
        load,
        `bare fastify (${when})`,
        { url: `${bare.url}${BARE_PATH}`, method: 'GET', headers: {}, connections: s.connections },
        timing,
      ),
    );
  };
  try {
    await measureBare('before');
    for (const dialect of s.dialects) {
      if (dialect === 'postgres') {
        const why = await postgresUnavailable();
        if (why) {
          skipped.postgres = why;
          continue;
        }
      }
      const db = await createBenchDatabase(dialect);
      // The load generator is one address: the per-address limit on v2 challenges (a flood
      // guard, docs/limits.md) would answer most of its challenges with 429.
      const server = await startBenchServer(db, { bootstrapChallengesPerAddressPerMinute: '0' });
      try {
        s.log(`bootstrap ${dialect}: seeding ${fleet} enabled configs`);
        const devices = await seedBootstrapConfigs(server.gh, DEFAULT_TENANT_ID, fleet);
        s.log(`bootstrap ${dialect}: plain fetches`);
        const plain = await measureHttp(
          load,
          `${dialect}: bootstrap plain`,
          plainFetchLoad(server.url, devices, s.connections),
          timing,
        );
        s.log(`bootstrap ${dialect}: v2 fetches`);
        const job = { url: server.url, tenantId: DEFAULT_TENANT_ID, devices, connections: s.connections };
        await v2Client.run({ ...job, durationSeconds: s.warmupSeconds });
        const cpuBefore = process.cpuUsage();
        const wallBefore = performance.now();
        const v2 = await v2Client.run({ ...job, durationSeconds: s.durationSeconds });
        const cpu = process.cpuUsage(cpuBefore);
        const nFailures = Object.values(v2.failures).reduce((a, b) => a + b, 0);
        results[dialect] = {
          plain,
          v2: {
            ...v2,
            serverCpu: (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore),
            problem: nFailures > 0 || v2.fetches === 0 ? `failures: ${JSON.stringify(v2.failures)}` : null,
          },
        };
      } finally {
        await server.close();
        await db.drop();
      }
    }
    await measureBare('after');
  } finally {
    v2Client.close();
    await bare.close();
    await load.close();
  }

  // The bare route's rate per second of server CPU (baselines.ts: the generator is not the limit).
  const bareRps = bareCapacity(bareRuns);
  const ratio = (rps: number, problem: string | null) => (bareRps && !problem ? rps / bareRps : null);
  const rows: string[][] = [];
  const ratios: Record<string, number | null> = {};
  for (const [dialect, r] of Object.entries(results)) {
    ratios[`${dialect}.bootstrapPlainVsBare`] = ratio(r.plain.rps, r.plain.problem);
    ratios[`${dialect}.bootstrapV2VsBare`] = ratio(r.v2.fetchesPerSecond, r.v2.problem);
    const cases: [
      string,
      string,
      number,
      number | null | undefined,
      number,
      number,
      number,
      string | null,
    ][] = [
      [
        dialect,
        'plain (1 request)',
        r.plain.rps,
        ratios[`${dialect}.bootstrapPlainVsBare`],
        r.plain.latencyMs.p99,
        r.plain.serverCpu,
        r.plain.generatorCpu,
        r.plain.problem,
      ],
      [
        dialect,
        'v2 (2 requests)',
        r.v2.fetchesPerSecond,
        ratios[`${dialect}.bootstrapV2VsBare`],
        r.v2.p99Ms,
        r.v2.serverCpu,
        r.v2.clientCpu,
        r.v2.problem,
      ],
    ];
    for (const [d, c, rps, q, p99, scpu, ccpu, problem] of cases) {
      rows.push([
        d,
        c,
        fmtInt(rps),
        q === null || q === undefined ? (problem ? 'INVALID' : '-') : fmtRatio(q),
        fmtMs(p99),
        fmtPct(scpu),
        fmtPct(ccpu),
      ]);
    }
  }
  const problems = [
    ...bareRuns.flatMap((r) => (r.problem ? [`bootstrap ${r.name}: ${r.problem}`] : [])),
    ...Object.entries(results).flatMap(([d, r]) =>
      [r.plain.problem, r.v2.problem].filter(Boolean).map((p) => `bootstrap ${d}: ${p}`),
    ),
  ];
  console.log(
    [
      '',
      `BOOTSTRAP FETCHES (issue #4): ${fleet} enabled configs, rotating; bare Fastify ${bareRps === null ? 'invalid' : `${fmtInt(bareRps)}/s per server cpu`} (mean of before/after)`,
      renderTable(['store', 'fetch', 'fetches/s', 'vs bare', 'p99', 'server cpu', 'client cpu'], rows),
      ...Object.entries(skipped).map(([d, why]) => `${d}: skipped (${why})`),
      ...problems.map((p) => `PROBLEM ${p}`),
    ].join('\n'),
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'bootstrap.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ fleet, bareRuns, bareRps, ratios, results, skipped }, null, 2)}\n`);
  s.log(`wrote ${out}`);
  return { problems, ratios };
};

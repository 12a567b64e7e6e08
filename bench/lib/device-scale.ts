/**
 * Device lists at a million devices (issue 10): latency of the management API's device list,
 * counts, filters and searches through HTTP, on SQLite and PostgreSQL. Self-contained (its own
 * fleet, server, report and bench/results/device-scale.json), so it is one call at the end of
 * bench/run.ts.
 *
 * The fleet is written into the tables as the application stores it (test/helpers/fleet-seed.ts):
 * devices in a realistic status mix, an auth set each, the identity scope, reported inventory,
 * static groups and tags. Secondary indexes are dropped for the load and created again from
 * the database's own definitions afterwards (as a bulk load does; a million random-order inserts
 * into each index would take most of the run). On PostgreSQL, VACUUM ANALYZE afterwards, as
 * autovacuum would after such a load (planner statistics, the visibility map of index-only
 * scans). SQLite plans without statistics, as Gatehouse runs it.
 *
 * Each case is requests one at a time (one in flight) from this process over a keep-alive
 * connection, after a discarded warm-up; p50/p99 are of the whole request as the client sees it.
 * The aim is p99 < 50 ms per page. Nothing is asserted: a case whose answers are not 200, or
 * whose totals are not what the fleet holds, is reported under PROBLEMS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { encodeCursor } from '../../src/devauth/devauth-cursor.js';
import type { Store } from '../../src/store/store.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import {
  analyzeFleet,
  FLEET_GROUPS,
  FLEET_SITES,
  fleetStatusOf,
  type SeededFleet,
  seedFleet,
} from '../../test/helpers/fleet-seed.js';
import { createBenchDatabase, type DialectName, postgresUnavailable } from './databases.js';
import { startBenchServer } from './gatehouse.js';
import { fmtInt, fmtMs, renderTable } from './table.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEVAUTH = '/api/management/v2/devauth/devices';
const INVENTORY = '/api/management/v1/inventory';
const AIM_P99_MS = 50;
const LOADED_TABLES = ['devices', 'auth_sets', 'inventory_attributes'];

export interface DeviceScaleSettings {
  /** Devices of the fleet (1,000,000; 0 skips the part). */
  devices: number;
  /** Measured requests per case (after a tenth as many warm-up requests). */
  requests: number;
  dialects: DialectName[];
  log(line: string): void;
}

interface CaseResult {
  name: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  /** X-Total-Count (or the count) of the last answer. */
  total: number | null;
  problem: string | null;
}

interface DialectResult {
  loadSeconds: number;
  indexSeconds: number;
  analyzeSeconds: number;
  cases: CaseResult[];
}

/** Drops the secondary indexes of the loaded tables; returns the statements that make them again. */
const dropSecondaryIndexes = async (store: Store): Promise<string[]> => {
  const rows =
    store.dialect === 'sqlite'
      ? await sql<{ name: string; ddl: string }>`select name, sql as ddl from sqlite_master
          where type = 'index' and sql is not null and tbl_name in (${sql.join(LOADED_TABLES)})`.execute(
          store.db,
        )
      : await sql<{
          name: string;
          ddl: string;
        }>`select i.relname as name, pg_get_indexdef(x.indexrelid) as ddl
          from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
          where t.relname in (${sql.join(LOADED_TABLES)}) and t.relnamespace = current_schema()::regnamespace
            and not exists (select 1 from pg_constraint c where c.conindid = x.indexrelid)`.execute(store.db);
  for (const r of rows.rows) await sql`drop index ${sql.ref(r.name)}`.execute(store.db);
  return rows.rows.map((r) => r.ddl);
};

const loadFleet = async (store: Store, devices: number, log: (l: string) => void) => {
  const ddl = await dropSecondaryIndexes(store);
  // A large page cache for the load's connection only (the server's is unchanged afterwards).
  if (store.dialect === 'sqlite') await sql`pragma cache_size = -1048576`.execute(store.db);
  let started = performance.now();
  const fleet = await seedFleet(store, {
    tenantId: DEFAULT_TENANT_ID,
    devices,
    batch: 10_000,
    onProgress: (done) => {
      if (done % 100_000 === 0 || done === devices)
        log(`    ${fmtInt(done)} devices (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    },
  });
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  if (store.dialect === 'postgres') await sql`set maintenance_work_mem = '256MB'`.execute(store.db);
  for (const statement of ddl) await sql.raw(statement).execute(store.db);
  if (store.dialect === 'sqlite') await sql`pragma cache_size = -2000`.execute(store.db);
  const indexSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  await analyzeFleet(store);
  return { fleet, loadSeconds, indexSeconds, analyzeSeconds: (performance.now() - started) / 1000 };
};

/** GET over a keep-alive connection: status, headers, body. */
const getter = (base: string, token: string) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return (path: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
      (resolve, reject) => {
        const req = request(
          new URL(path, base),
          { method: 'GET', agent, headers: { authorization: `Bearer ${token}` } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks).toString(),
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
};

const percentile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

interface CaseSpec {
  name: string;
  /** The i-th request's path (cases rotate over positions, groups, statuses ...). */
  path(i: number): string;
  /** The total the i-th answer must report, when known. */
  total?(i: number): number;
}

const runCase = async (
  get: ReturnType<typeof getter>,
  spec: CaseSpec,
  requests: number,
): Promise<CaseResult> => {
  const warmup = Math.max(5, Math.round(requests / 10));
  const times: number[] = [];
  let problem: string | null = null;
  let total: number | null = null;
  for (let i = 0; i < warmup + requests; i++) {
    const path = spec.path(i);
    const started = performance.now();
    const res = await get(path);
    const ms = performance.now() - started;
    if (i >= warmup) times.push(ms);
    if (res.status !== 200) {
      problem ??= `${path}: ${res.status} ${res.body.slice(0, 200)}`;
      continue;
    }
    const header = res.headers['x-total-count'];
    total =
      header !== undefined ? Number(header) : ((JSON.parse(res.body) as { count?: number }).count ?? null);
    const want = spec.total?.(i);
    if (want !== undefined && total !== want) problem ??= `${path}: total ${total}, the fleet holds ${want}`;
  }
  times.sort((a, b) => a - b);
  return {
    name: spec.name,
    p50Ms: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
    maxMs: times[times.length - 1] ?? 0,
    requests,
    total,
    problem,
  };
};

/** The cases, over the seeded fleet (positions, groups and sites rotate request by request). */
const cases = (fleet: SeededFleet): CaseSpec[] => {
  const n = fleet.devices.length;
  const counts = fleet.statusCounts;
  const statuses = ['accepted', 'pending', 'rejected', 'preauthorized', 'noauth'] as const;
  // Deterministic spread of positions: request i looks at a different part of the list.
  const spread = (i: number, from: number, to: number) => from + ((i * 7919) % Math.max(1, to - from));
  const at = (i: number) =>
    fleet.devices[spread(i, Math.floor(n * 0.4), Math.floor(n * 0.6))] as SeededFleet['devices'][number];
  const cursor = (d: SeededFleet['devices'][number]) => encodeCursor({ createdAt: d.createdAt, id: d.id });
  const status = (i: number) => statuses[i % statuses.length] as (typeof statuses)[number];
  // Groups and sites with members (accepted devices are those with i mod 20 < 14).
  const groups = Array.from({ length: FLEET_GROUPS }, (_, g) => g).filter(
    (g) => fleetStatusOf(g) === 'accepted',
  );
  const group = (i: number) => groups[i % groups.length] as number;
  const groupSize = (g: number) =>
    fleet.devices.filter((d) => d.index % FLEET_GROUPS === g && d.status === 'accepted').length;
  const groupSizes = new Map(groups.map((g) => [g, groupSize(g)]));
  const site = (i: number) => i % FLEET_SITES;
  const prefix = (i: number) => at(i).mac.slice(0, 14);
  return [
    { name: 'list: first page', path: () => `${DEVAUTH}?per_page=20`, total: () => n },
    {
      name: 'list: middle page by cursor',
      path: (i) => `${DEVAUTH}?per_page=20&after=${cursor(at(i))}`,
      total: () => n,
    },
    {
      name: 'list: middle page by number (offset 400k-600k)',
      path: (i) =>
        `${DEVAUTH}?per_page=20&page=${Math.floor(spread(i, Math.floor(n * 0.4), Math.floor(n * 0.6)) / 20) + 1}`,
      total: () => n,
    },
    { name: 'count: all devices', path: () => `${DEVAUTH}/count`, total: () => n },
    {
      name: 'count: by status',
      path: (i) => `${DEVAUTH}/count?status=${status(i)}`,
      total: (i) => counts[status(i)],
    },
    {
      name: 'list: status filter, first page',
      path: (i) => `${DEVAUTH}?status=${status(i)}&per_page=20`,
      total: (i) => counts[status(i)],
    },
    {
      name: 'list: status filter, by cursor',
      path: (i) => `${DEVAUTH}?status=accepted&per_page=20&after=${cursor(at(i))}`,
      total: () => counts.accepted,
    },
    {
      name: 'list: group filter (+status)',
      path: (i) => `${DEVAUTH}?status=accepted&group=group-${group(i)}&per_page=20`,
      total: (i) => groupSizes.get(group(i)) ?? 0,
    },
    { name: 'list: tag filter', path: (i) => `${DEVAUTH}?tag=site%3Dsite-${site(i)}&per_page=20` },
    {
      name: 'search: MAC prefix (q, +status)',
      path: (i) => `${DEVAUTH}?status=${at(i).status}&q=${encodeURIComponent(prefix(i))}&per_page=20`,
    },
    { name: 'search: device id prefix (q)', path: (i) => `${DEVAUTH}?q=${at(i).id.slice(0, 8)}&per_page=20` },
    { name: 'inventory v1: first page', path: () => `${INVENTORY}/devices?per_page=20`, total: () => n },
    {
      name: 'inventory v1: group filter',
      path: (i) => `${INVENTORY}/devices?group=group-${group(i)}&per_page=20`,
      total: (i) => groupSizes.get(group(i)) ?? 0,
    },
    { name: 'inventory: group names', path: () => `${INVENTORY}/groups` },
  ];
};

const render = (devices: number, results: Partial<Record<DialectName, DialectResult>>): string => {
  const names = Object.values(results)[0]?.cases.map((c) => c.name) ?? [];
  const dialects = Object.keys(results) as DialectName[];
  const header = ['case', ...dialects.flatMap((d) => [`${d} p50`, `${d} p99`]), 'matches'];
  const rows = names.map((name) => {
    const of = (d: DialectName) => results[d]?.cases.find((c) => c.name === name);
    const cells = dialects.flatMap((d) => {
      const c = of(d);
      if (!c) return ['-', '-'];
      return [fmtMs(c.p50Ms), `${fmtMs(c.p99Ms)}${c.p99Ms > AIM_P99_MS ? ' !' : ''}`];
    });
    const total = dialects.map((d) => of(d)?.total).find((t) => t !== null && t !== undefined);
    return [name, ...cells, total === undefined || total === null ? '' : fmtInt(total)];
  });
  const loads = dialects.map((d) => {
    const r = results[d] as DialectResult;
    return `${d}: load ${r.loadSeconds.toFixed(0)} s (${fmtInt(devices / r.loadSeconds)} devices/s), indexes ${r.indexSeconds.toFixed(0)} s, analyze ${r.analyzeSeconds.toFixed(0)} s`;
  });
  return [
    `\nDEVICE LISTS AT ${fmtInt(devices)} DEVICES (one request at a time; ! = p99 above the ${AIM_P99_MS} ms aim)`,
    renderTable(header, rows),
    ...loads,
  ].join('\n');
};

/** Runs the device-scale cases, prints their table, writes bench/results/device-scale.json; returns the problems. */
export const runDeviceScaleBench = async (s: DeviceScaleSettings): Promise<string[]> => {
  if (s.devices <= 0) return [];
  const results: Partial<Record<DialectName, DialectResult>> = {};
  const skipped: Partial<Record<DialectName, string>> = {};
  const problems: string[] = [];
  for (const dialect of s.dialects) {
    if (dialect === 'postgres') {
      const why = await postgresUnavailable();
      if (why) {
        skipped.postgres = why;
        s.log(`device scale: skipping postgres (${why})`);
        continue;
      }
    }
    const db = await createBenchDatabase(dialect);
    const server = await startBenchServer(db);
    try {
      s.log(`device scale ${dialect}: loading ${fmtInt(s.devices)} devices`);
      const load = await loadFleet(server.gh.store, s.devices, s.log);
      const email = `scale-${Date.now()}@bench.example`;
      await server.gh.users.service.create({
        tenantId: DEFAULT_TENANT_ID,
        email,
        password: 'bench password 1234',
      });
      const get = getter(server.url, await server.gh.users.service.login(email, 'bench password 1234'));
      const out: CaseResult[] = [];
      for (const spec of cases(load.fleet)) {
        s.log(`device scale ${dialect}: ${spec.name}`);
        const r = await runCase(get, spec, s.requests);
        if (r.problem) problems.push(`${dialect} ${r.name}: ${r.problem}`);
        out.push(r);
      }
      results[dialect] = {
        loadSeconds: load.loadSeconds,
        indexSeconds: load.indexSeconds,
        analyzeSeconds: load.analyzeSeconds,
        cases: out,
      };
    } finally {
      await server.close();
      await db.drop();
    }
  }
  console.log(render(s.devices, results));
  if (problems.length > 0)
    console.log(`\nPROBLEMS (device scale)\n${problems.map((p) => `- ${p}`).join('\n')}`);
  const out = join(HERE, '..', 'results', 'device-scale.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ devices: s.devices, requestsPerCase: s.requests, aimP99Ms: AIM_P99_MS, dialects: results, skipped, problems }, null, 2)}\n`,
  );
  s.log(`wrote ${out}`);
  return problems;
};

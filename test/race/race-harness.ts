import { sql } from 'kysely';
import { expect } from 'vitest';
import { type Db, openStore, type Store } from '../../src/store/store.js';
import { adminTokenViaCli, type GatehouseProcess, spawnGatehouse } from '../e2e/helpers/gatehouse-process.js';
import { createTestDatabase, type DialectName, type TestDatabase } from '../helpers/databases.js';

/**
 * The race suite's cluster: two real `gatehouse serve` processes on one database (PostgreSQL,
 * or one SQLite file: then the processes serialise on its write lock, BEGIN IMMEDIATE), with
 * requests alternating between them, and a connection of the test's own to count rows with SQL.
 */
export const CONCURRENCY = 50;
export const ROUNDS = 5;
/** Per test (ROUNDS races): generous, the box is shared; a hang still fails. */
export const RACE_TIMEOUT_MS = 120_000;
/** Starting a `serve` child (tsx compiles on the fly; CI boxes are busy). */
const START_TIMEOUT_MS = 90_000;
/** For the suites' beforeAll: two starts and a CLI run. */
export const CLUSTER_TIMEOUT_MS = 4 * START_TIMEOUT_MS;
/** No answer within this is a hang, and fails the race. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface Cluster {
  dialect: DialectName;
  db: TestDatabase;
  servers: GatehouseProcess[];
  /** The test's own connection, for counting. */
  sql: Db;
  /** An admin's bearer token (valid on both servers: the signing keys live in the database). */
  token: string;
  close(): Promise<void>;
}

/**
 * A `serve` child; started again (on a new free port) when it exits at once, which happens when
 * another process on the box takes the port between freePort() and the child's listen.
 */
const spawn = async (db: TestDatabase, flags: string[]): Promise<GatehouseProcess> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnGatehouse(db, flags, { timeoutMs: START_TIMEOUT_MS });
    } catch (e) {
      if (attempt >= 3 || !/EADDRINUSE/.test((e as Error).message)) throw e;
    }
  }
};

/**
 * The races send hundreds of first auth requests from 127.0.0.1 within a minute: the rate limits
 * on unknown identities (docs/limits.md, tested in floods-devauth) would answer most of them 429
 * before they race. The pending cap stays at its default.
 */
const NO_RATE_LIMITS = [
  '--auth-unknown-per-address-per-minute',
  '0',
  '--auth-unknown-per-tenant-per-minute',
  '0',
];

export const startCluster = async (dialect: DialectName, extraFlags: string[] = []): Promise<Cluster> => {
  const flags = [...NO_RATE_LIMITS, ...extraFlags];
  const db = await createTestDatabase(dialect);
  const servers: GatehouseProcess[] = [];
  let store: Store | undefined;
  const close = async () => {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await store?.destroy();
    await db.drop();
  };
  try {
    // One after the other: the first one migrates the empty database.
    servers.push(await spawn(db, flags));
    servers.push(await spawn(db, flags));
    const token = await adminTokenViaCli(db, (servers[0] as GatehouseProcess).url);
    store = openStore({ databaseUrl: db.url, poolSize: 2 });
    return { dialect, db, servers, sql: store.db, token, close };
  } catch (e) {
    await close();
    throw e;
  }
};

export interface Req {
  method: string;
  path: string;
  body?: unknown;
  /** A raw body (device auth requests are signed byte for byte). */
  raw?: Buffer;
  headers?: Record<string, string>;
  /** false: no admin bearer token. */
  auth?: boolean;
}

export interface Res {
  status: number;
  text: string;
  server: number;
}

export const send = async (c: Cluster, server: number, r: Req): Promise<Res> => {
  const s = c.servers[server % c.servers.length] as GatehouseProcess;
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  if (r.auth !== false) headers.authorization ??= `Bearer ${c.token}`;
  if (r.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(`${s.url}${r.path}`, {
      method: r.method,
      headers,
      body: r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body)),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text(), server: server % c.servers.length };
  } catch (e) {
    throw new Error(
      `${r.method} ${r.path} to server ${server % c.servers.length}: ${(e as Error).message}\n${s.output.join('').slice(-4000)}`,
    );
  }
};

/**
 * CONCURRENCY requests at once, request i to server i mod 2. Every answer must be below 500,
 * and every error answer JSON with "error" and "request_id" (the Mender shape).
 */
export const race = async (c: Cluster, make: (i: number) => Req, n = CONCURRENCY): Promise<Res[]> => {
  const reqs = Array.from({ length: n }, (_, i) => make(i));
  const results = await Promise.all(reqs.map((r, i) => send(c, i, r)));
  for (const r of results) {
    expect(r.status, `${r.status} from server ${r.server}: ${r.text}`).toBeLessThan(500);
    if (r.status >= 400) {
      const body = JSON.parse(r.text) as Record<string, unknown>;
      expect(typeof body.error, r.text).toBe('string');
      expect(typeof body.request_id, r.text).toBe('string');
    }
  }
  return results;
};

/** How many answers had each status, e.g. { 201: 1, 409: 49 }. */
export const tally = (results: Res[]): Record<number, number> => {
  const out: Record<number, number> = {};
  for (const r of results) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
};

export const count = async (db: Db, query: ReturnType<typeof sql>): Promise<number> => {
  const { rows } = await query.execute(db);
  return Number((rows[0] as { n: number | string }).n);
};

const DERIVED_STATUS = sql`coalesce((select case max(case a.status when 'accepted' then 4
    when 'preauthorized' then 3 when 'pending' then 2 when 'rejected' then 1 else 0 end)
    when 4 then 'accepted' when 3 then 'preauthorized' when 2 then 'pending' when 1 then 'rejected' end
  from auth_sets a where a.device_id = d.id), 'noauth')`;

/**
 * Every invariant of docs/adr/0013-database-invariants.md, counted in the database: each entry
 * is the number of rows (or groups) that break it, so all must be 0.
 */
export const invariantViolations = async (db: Db): Promise<Record<string, number>> => {
  const groups = (table: string, cols: string, where = '') =>
    count(
      db,
      sql`select count(*) as n from (select 1 as x from ${sql.table(table)} ${sql.raw(where)}
        group by ${sql.raw(cols)} having count(*) > 1) g`,
    );
  return {
    devicePerIdentity: await groups('devices', 'tenant_id, id_data_sha256'),
    devicePerKey: await groups('auth_sets', 'tenant_id, pubkey_sha256'),
    acceptedPerDevice: await groups('auth_sets', 'device_id', "where status = 'accepted'"),
    deviceStatusDerived: await count(
      db,
      sql`select count(*) as n from devices d where d.status <> ${DERIVED_STATUS}`,
    ),
    identityStatusAttribute: await count(
      db,
      sql`select count(*) as n from inventory_attributes i join devices d on d.id = i.device_id
        where i.scope = 'identity' and i.name = 'status' and i.value <> '"' || d.status || '"'`,
    ),
    tokensOnlyForAccepted: await count(
      db,
      sql`select count(*) as n from device_tokens t join auth_sets a on a.id = t.auth_set_id
        where a.status <> 'accepted' or a.device_id <> t.device_id`,
    ),
    inventoryOfExistingDevices: await count(
      db,
      sql`select count(*) as n from inventory_attributes i
        where not exists (select 1 from devices d where d.id = i.device_id)`,
    ),
    registrationOfExistingDevices: await count(
      db,
      sql`select count(*) as n from enrollment_registrations r
        where not exists (select 1 from devices d where d.id = r.device_id)`,
    ),
    individualPerRegistrationId: await groups('enrollment_individuals', 'tenant_id, registration_id'),
    groupPerCa: await groups('enrollment_groups', 'tenant_id, ca_id'),
    groupPerName: await groups('enrollment_groups', 'tenant_id, name'),
    configPerExternalId: await groups('bootstrap_configs', 'tenant_id, external_id'),
    configPerDevice: await groups('bootstrap_configs', 'device_id', 'where device_id is not null'),
    channelPerName: await groups('bootstrap_channels', 'tenant_id, name'),
    userPerEmail: await groups('users', 'email'),
    patPerName: await groups('user_tokens', 'user_id, name', 'where name is not null'),
    caPerFingerprint: await groups('pki_cas', 'tenant_id, fingerprint'),
    unfinishedDeploymentPerConstructor: await groups(
      'deployments',
      'tenant_id, constructor_sha256',
      "where status <> 'finished'",
    ),
    deliveryPerEvent: await groups('webhook_deliveries', 'subscription_id, event_id'),
    // device_counts (migration 0012) equals count(*) per (tenant, status): (tenant, status)
    // pairs where they differ.
    deviceCountsExact: await count(
      db,
      sql`select count(*) as n from (select tenant_id, status from (
          select tenant_id, status, n as d from device_counts
          union all select tenant_id, status, -1 as d from devices) x
        group by tenant_id, status having sum(d) <> 0) g`,
    ),
    // group_counts (migration 0014) equals the devices per (tenant, group, status).
    groupCountsExact: await count(
      db,
      sql`select count(*) as n from (select t, g, s from (
          select tenant_id as t, group_value as g, status as s, n as d from group_counts
          union all select a.tenant_id, a.value, d.status, -1 from inventory_attributes a
            join devices d on d.id = a.device_id where a.scope = 'system' and a.name = 'group') x
        group by t, g, s having sum(d) <> 0) g`,
    ),
  };
};

export const expectInvariants = async (c: Cluster): Promise<void> => {
  const v = await invariantViolations(c.sql);
  expect(Object.entries(v).filter(([, n]) => n !== 0)).toEqual([]);
};

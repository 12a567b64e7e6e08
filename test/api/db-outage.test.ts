import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/core/logger.js';
import type { App } from '../../src/http/types.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { type Gatehouse, openGatehouse } from '../../src/wiring.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer } from '../helpers/gatehouse.js';
import { type ProxyMode, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

// The database cut away under a running server (issue 8): every kind of request gets 503 with
// Retry-After, never 401/403/404 and never a hang, and the same process serves again once the
// database is back. PostgreSQL is cut through a TCP proxy (refused, and a black hole that
// silently drops everything); SQLite through a lock another process holds past the busy timeout.

const HANG_DEADLINE_MS = 20_000;

interface Probe {
  name: string;
  request: () => InjectOptions;
  /** The status while the database answers (a refusal stays a refusal, not a 503). */
  healthy: number[];
}

/** The fleet every probe works on: an admin, an accepted device, an enabled bootstrap config. */
const setUpFleet = async (gh: Gatehouse, app: App) => {
  const admin = await adminToken(gh);
  const keys = makeDeviceKeys();
  const mac = `outage-${randomUUID()}`;
  await gh.devauth.admin.preauthorize(DEFAULT_TENANT_ID, {
    identityData: { mac },
    pubkey: keys.publicPem,
  });
  const auth = await app.inject(authRequest(keys, { mac }));
  expect(auth.statusCode, auth.body).toBe(200);
  const deviceToken = auth.body;
  const externalId = `outage-${randomUUID()}`;
  const created = await app.inject({
    method: 'POST',
    url: `/bootstrap/${DEFAULT_TENANT_ID}/clients/configs`,
    headers: bearer(admin.token),
    payload: { external_id: externalId, external_key: 'outage-key', name: 'outage', content: 'c' },
  });
  expect(created.statusCode, created.body).toBe(201);
  const configId = String(created.headers.location).split('/').pop() as string;
  const enabled = await app.inject({
    method: 'PUT',
    url: `/bootstrap/${DEFAULT_TENANT_ID}/clients/state/${configId}`,
    headers: bearer(admin.token),
    payload: { state: 1 },
  });
  expect(enabled.statusCode, enabled.body).toBe(200);
  const basic = `Basic ${Buffer.from(`${admin.email}:${admin.password}`).toString('base64')}`;
  const readProbes: Probe[] = [
    {
      name: 'device: next deployment',
      request: () => ({
        method: 'GET',
        url: '/api/devices/v1/deployments/device/deployments/next?artifact_name=a&device_type=t',
        headers: bearer(deviceToken),
      }),
      healthy: [204],
    },
    { name: 'device: re-authentication', request: () => authRequest(keys, { mac }), healthy: [200] },
    {
      name: 'management: list devices',
      request: () => ({
        method: 'GET',
        url: '/api/management/v2/devauth/devices',
        headers: bearer(admin.token),
      }),
      healthy: [200],
    },
    {
      name: 'management: unknown device',
      request: () => ({
        method: 'GET',
        url: `/api/management/v2/devauth/devices/${randomUUID()}`,
        headers: bearer(admin.token),
      }),
      healthy: [404],
    },
    {
      name: 'bootstrap: fetch',
      request: () => ({
        method: 'GET',
        url: `/bootstrap/clients/bootstrap/${externalId}`,
        headers: { authorization: 'Client outage-key' },
      }),
      healthy: [200],
    },
  ];
  // Requests that write (a refused bootstrap attempt counts the failure in the database).
  const writeProbes: Probe[] = [
    {
      name: 'bootstrap: unknown external id',
      request: () => ({
        method: 'GET',
        url: `/bootstrap/clients/bootstrap/nobody-${randomUUID()}`,
        headers: { authorization: 'Client outage-key' },
      }),
      healthy: [403],
    },
    {
      name: 'login',
      request: () => ({
        method: 'POST',
        url: '/api/management/v1/useradm/auth/login',
        headers: { authorization: basic },
      }),
      healthy: [200],
    },
    {
      name: 'device: inventory report',
      request: () => ({
        method: 'PATCH',
        url: '/api/devices/v1/inventory/device/attributes',
        headers: bearer(deviceToken),
        payload: [{ name: 'n', value: randomUUID() }],
      }),
      healthy: [200],
    },
    {
      name: 'device: auth request of a new device',
      request: () => authRequest(makeDeviceKeys(), { mac: `new-${randomUUID()}` }),
      healthy: [401],
    },
  ];
  return { readProbes, writeProbes };
};

const withDeadline = async <T>(what: string, p: Promise<T>): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer within ${HANG_DEADLINE_MS} ms`)),
      HANG_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([p, hung]);
  } finally {
    clearTimeout(timer);
  }
};

/** Every probe, concurrently, must answer 503 with Retry-After and the error body. */
const expectUnavailable = async (app: App, probes: Probe[]) => {
  const answers = await Promise.all(probes.map((p) => withDeadline(p.name, app.inject(p.request()))));
  answers.forEach((res, i) => {
    const name = probes[i]?.name;
    expect({ name, status: res.statusCode }, res.body).toEqual({ name, status: 503 });
    expect(Number(res.headers['retry-after']), name).toBeGreaterThan(0);
    const body = res.json() as { error: string; request_id: string };
    expect(body.error, name).toMatch(/unavailable/);
    expect(body.request_id, name).toBeTruthy();
  });
};

/** Every probe answers as before, eventually (the pool reconnects on demand), without a restart. */
const expectHealthy = async (app: App, probes: Probe[]) => {
  for (const p of probes) {
    const until = Date.now() + HANG_DEADLINE_MS;
    let res = await withDeadline(p.name, app.inject(p.request()));
    while (!p.healthy.includes(res.statusCode) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      res = await withDeadline(p.name, app.inject(p.request()));
    }
    expect({ name: p.name, status: res.statusCode }, res.body).toEqual({
      name: p.name,
      status: p.healthy.includes(res.statusCode) ? res.statusCode : p.healthy[0],
    });
  }
};

const waitFor = async (what: string, cond: () => boolean) => {
  const until = Date.now() + HANG_DEADLINE_MS;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`${what} did not happen within ${HANG_DEADLINE_MS} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.runIf(dialects().includes('postgres'))('PostgreSQL cut away under a running server', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let gh: Gatehouse;
  let app: App;
  let probes: Probe[];
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const config = loadConfig(
      {
        dataDir: db.dataDir,
        databaseUrl: viaProxy.toString(),
        dbConnectTimeoutMs: '1000',
        dbQueryTimeoutMs: '1000',
        webhookPollIntervalMs: '50',
        bootstrapMaxFailures: '0',
      },
      {},
    );
    gh = await openGatehouse(config, { logger: createLogger('warn', { write: (l) => lines.push(l) }) });
    app = await buildApp(gh, { loggerInstance: gh.logger });
    const fleet = await setUpFleet(gh, app);
    probes = [
      ...fleet.readProbes,
      ...fleet.writeProbes,
      { name: 'readiness', request: () => ({ method: 'GET', url: '/api/health/ready' }), healthy: [200] },
    ];
    await expectHealthy(app, probes);
  });
  afterAll(async () => {
    await proxy?.setMode('open');
    await app?.close();
    await gh?.close();
    await proxy?.close();
    await db?.drop();
  });

  it.each<ProxyMode>(['refuse', 'blackhole'])(
    'answers 503 with Retry-After while the database is %s, and recovers by itself',
    async (mode) => {
      await proxy.setMode(mode);
      await expectUnavailable(app, probes);
      // Liveness does not touch the database.
      expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
      // A second round finds the pool as broken as the first left it: still bounded, still 503.
      await expectUnavailable(app, probes);
      await proxy.setMode('open');
      await expectHealthy(app, probes);
    },
    60_000,
  );

  it('logs background writes that fail during the outage through the logger', async () => {
    lines.length = 0;
    await proxy.setMode('refuse');
    gh.devauth.checkIns.record(randomUUID(), Date.now());
    await gh.devauth.checkIns.flush();
    gh.webhooks.worker.start();
    await waitFor('a logged webhook worker failure', () =>
      lines.some((l) => l.includes('webhook delivery failed')),
    );
    await gh.webhooks.worker.stop();
    await proxy.setMode('open');
    const logged = lines.map(
      (l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } },
    );
    const checkIn = logged.find((l) => l.msg === 'device check-in write failed');
    expect(checkIn?.level).toBe(40);
    expect(checkIn?.err?.message).toMatch(/ECONNREFUSED|Connection terminated|timeout/);
    expect(logged.find((l) => l.msg === 'webhook delivery failed')?.level).toBe(50);
    await expectHealthy(app, probes);
  }, 60_000);
});

describe('SQLite locked by another process past the busy timeout', () => {
  let db: TestDatabase;
  let gh: Gatehouse;
  let app: App;
  let fleet: Awaited<ReturnType<typeof setUpFleet>>;
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const config = loadConfig(
      { dataDir: db.dataDir, databaseUrl: db.url, dbBusyTimeoutMs: '200', bootstrapMaxFailures: '0' },
      {},
    );
    gh = await openGatehouse(config, { logger: createLogger('warn', { write: (l) => lines.push(l) }) });
    app = await buildApp(gh, { loggerInstance: gh.logger });
    fleet = await setUpFleet(gh, app);
  });
  afterAll(async () => {
    await app?.close();
    await gh?.close();
    await db?.drop();
  });

  it('answers writes 503 with Retry-After while locked, keeps serving reads, and recovers', async () => {
    const other = new BetterSqlite3(db.url.slice('sqlite:'.length));
    try {
      other.exec('begin exclusive');
      // WAL: readers are not blocked by a writer, so reads keep their answers.
      await expectHealthy(app, fleet.readProbes);
      await expectUnavailable(app, fleet.writeProbes);
      // The check-in flush is a background write: its failure is logged, not lost silently.
      gh.devauth.checkIns.record(randomUUID(), Date.now());
      await gh.devauth.checkIns.flush();
      const failed = lines.map((l) => JSON.parse(l) as { msg: string; err?: { code?: string } });
      expect(failed.find((l) => l.msg === 'device check-in write failed')?.err?.code).toBe('SQLITE_BUSY');
    } finally {
      other.exec('rollback');
      other.close();
    }
    await expectHealthy(app, [...fleet.readProbes, ...fleet.writeProbes]);
  }, 60_000);
});

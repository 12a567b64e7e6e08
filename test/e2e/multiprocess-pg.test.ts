import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { authRequest, type DeviceKeys, makeDeviceKeys } from '../helpers/device-client.js';
import { IN_CI } from '../helpers/env.js';

/**
 * Scale-out (docs/principles.md#one-process-one-transaction): two real `gatehouse serve`
 * processes on one PostgreSQL database.
 * Whatever one process revokes, the other refuses on the very next request, with no sleep in
 * between: device tokens after reject, token revoke and decommission; user tokens after logout.
 */
const pgAvailable = inject('pgAvailable');
if (!pgAvailable && IN_CI) throw new Error('PostgreSQL is required in CI for the multi-process test');

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PASSWORD = 'two processes, one db';
const INVENTORY = [{ name: 'device_type', value: 'qemux86-64' }];

interface GatehouseProcess {
  name: string;
  url: string;
  child: ChildProcess;
  output: string[];
}

const freePort = async (): Promise<number> => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  srv.close();
  await once(srv, 'close');
  return port;
};

/** The environment of a child: no GATEHOUSE_* from the outside, so only the flags configure it. */
const childEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));

const gatehouseArgs = (...args: string[]) => ['--import', 'tsx', 'src/main.ts', ...args];

const spawnServe = async (name: string, db: TestDatabase): Promise<GatehouseProcess> => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    gatehouseArgs(
      'serve',
      '--listen',
      `127.0.0.1:${port}`,
      '--database-url',
      db.url,
      '--data-dir',
      db.dataDir,
      '--log-level',
      'warn',
    ),
    { cwd: REPO, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  return { name, url: `http://127.0.0.1:${port}`, child, output };
};

const waitHealthy = async (p: GatehouseProcess, timeoutMs = 45_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}):\n${p.output.join('')}`);
    }
    try {
      const res = await fetch(`${p.url}/api/health`);
      if (res.status === 200 && ((await res.json()) as { status: string }).status === 'ok') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.name} not healthy after ${timeoutMs} ms:\n${p.output.join('')}`);
};

const stopProcess = async (p: GatehouseProcess | undefined): Promise<void> => {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
};

/** `gatehouse <args>` as a separate process (same data dir and database as the servers). */
const runCli = (...args: string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      gatehouseArgs(...args),
      { cwd: REPO, env: childEnv(), timeout: 60_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(String(stdout)),
    );
  });

const jwtClaims = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8')) as {
    jti: string;
    sub: string;
  };

describe.skipIf(!pgAvailable)('two gatehouse serve processes on one PostgreSQL database', () => {
  let db: TestDatabase | undefined;
  let a: GatehouseProcess | undefined;
  let b: GatehouseProcess | undefined;
  let email: string;

  const procA = () => a as GatehouseProcess;
  const procB = () => b as GatehouseProcess;

  const call = (p: GatehouseProcess, method: string, path: string, token: string, body?: unknown) =>
    fetch(`${p.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  const login = async (p: GatehouseProcess): Promise<string> => {
    const res = await fetch(`${p.url}/api/management/v1/useradm/auth/login`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString('base64')}` },
    });
    expect(res.status).toBe(200);
    return res.text();
  };

  const deviceAuth = async (p: GatehouseProcess, keys: DeviceKeys, mac: string) => {
    const req = authRequest(keys, { mac });
    const res = await fetch(`${p.url}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.payload,
    });
    return { status: res.status, body: await res.text() };
  };

  const reportInventory = async (p: GatehouseProcess, deviceToken: string) =>
    (await call(p, 'PUT', '/api/devices/v1/inventory/device/attributes', deviceToken, INVENTORY)).status;

  const setStatus = async (
    p: GatehouseProcess,
    user: string,
    deviceId: string,
    authSetId: string,
    status: string,
  ) => {
    const res = await call(
      p,
      'PUT',
      `/api/management/v2/devauth/devices/${deviceId}/auth/${authSetId}/status`,
      user,
      {
        status,
      },
    );
    expect(res.status).toBe(204);
  };

  /** A device that has authenticated once through `p` (pending), with its ids. */
  const newPendingDevice = async (p: GatehouseProcess, user: string, mac: string) => {
    const keys = makeDeviceKeys('ed25519');
    expect((await deviceAuth(p, keys, mac)).status).toBe(401);
    const res = await call(p, 'GET', '/api/management/v2/devauth/devices?per_page=500', user);
    expect(res.status).toBe(200);
    const list = (await res.json()) as {
      id: string;
      status: string;
      identity_data: { mac: string };
      auth_sets: { id: string }[];
    }[];
    const device = list.find((d) => d.identity_data.mac === mac);
    expect(device?.status).toBe('pending');
    return { keys, mac, deviceId: device?.id as string, authSetId: device?.auth_sets[0]?.id as string };
  };

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    // Both start together on an empty database and data dir: migrations, master key and signing
    // key creation race, as they would in a real scale-out start.
    [a, b] = await Promise.all([spawnServe('A', db), spawnServe('B', db)]);
    await Promise.all([waitHealthy(procA()), waitHealthy(procB())]);
    email = 'multiproc@example.com';
    const created = JSON.parse(
      await runCli(
        'users',
        'create',
        '--email',
        email,
        '--password',
        PASSWORD,
        '--database-url',
        db.url,
        '--data-dir',
        db.dataDir,
        '--json',
      ),
    );
    expect(created.email).toBe(email);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([stopProcess(a), stopProcess(b)]);
    await db?.drop();
  }, 60_000);

  it('both processes serve the same fleet and sign verifiable tokens for each other', async () => {
    const fromA = await login(procA());
    const fromB = await login(procB());
    for (const [p, t] of [
      [procB(), fromA],
      [procA(), fromB],
    ] as const) {
      expect((await call(p, 'GET', '/api/management/v1/useradm/users/me', t)).status).toBe(200);
    }
    const jwks = (await (await fetch(`${procA().url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
  });

  it('reject on A: the device token fails on B at once', async () => {
    const user = await login(procA());
    const d = await newPendingDevice(procA(), user, 'de:ad:be:ef:a0:01');
    await setStatus(procA(), user, d.deviceId, d.authSetId, 'accepted');
    const auth = await deviceAuth(procA(), d.keys, d.mac);
    expect(auth.status).toBe(200);
    expect(await reportInventory(procB(), auth.body)).toBe(200);

    await setStatus(procA(), user, d.deviceId, d.authSetId, 'rejected');
    expect(await reportInventory(procB(), auth.body)).toBe(401);
    expect(await reportInventory(procA(), auth.body)).toBe(401);
    expect((await deviceAuth(procB(), d.keys, d.mac)).status).toBe(401);
  });

  it('token revoke on A: B refuses the token at once; the device may authenticate again', async () => {
    const user = await login(procA());
    const d = await newPendingDevice(procA(), user, 'de:ad:be:ef:a0:02');
    await setStatus(procA(), user, d.deviceId, d.authSetId, 'accepted');
    const auth = await deviceAuth(procA(), d.keys, d.mac);
    expect(auth.status).toBe(200);
    expect(await reportInventory(procB(), auth.body)).toBe(200);

    const { jti } = jwtClaims(auth.body);
    expect((await call(procA(), 'DELETE', `/api/management/v2/devauth/tokens/${jti}`, user)).status).toBe(
      204,
    );
    expect(await reportInventory(procB(), auth.body)).toBe(401);

    // A revoke forces re-authentication, it is not a ban (docs/compat/mender-device-auth.md#device-token).
    const again = await deviceAuth(procB(), d.keys, d.mac);
    expect(again.status).toBe(200);
    expect(await reportInventory(procA(), again.body)).toBe(200);
  });

  it('revoke through either process is seen by the other on the next request, every time', async () => {
    const user = await login(procA());
    const d = await newPendingDevice(procB(), user, 'de:ad:be:ef:a0:03');
    await setStatus(procB(), user, d.deviceId, d.authSetId, 'accepted');
    for (let i = 0; i < 20; i += 1) {
      const [issuer, other] = i % 2 === 0 ? [procA(), procB()] : [procB(), procA()];
      const auth = await deviceAuth(issuer, d.keys, d.mac);
      expect(auth.status).toBe(200);
      expect(await reportInventory(other, auth.body)).toBe(200);
      const { jti } = jwtClaims(auth.body);
      expect((await call(issuer, 'DELETE', `/api/management/v2/devauth/tokens/${jti}`, user)).status).toBe(
        204,
      );
      expect(await reportInventory(other, auth.body), `round ${i}`).toBe(401);
    }
  });

  it('decommission on A: the device token fails on B at once', async () => {
    const user = await login(procA());
    const d = await newPendingDevice(procA(), user, 'de:ad:be:ef:a0:04');
    await setStatus(procA(), user, d.deviceId, d.authSetId, 'accepted');
    const auth = await deviceAuth(procA(), d.keys, d.mac);
    expect(auth.status).toBe(200);
    expect(await reportInventory(procB(), auth.body)).toBe(200);

    expect(
      (await call(procA(), 'DELETE', `/api/management/v2/devauth/devices/${d.deviceId}`, user)).status,
    ).toBe(204);
    expect(await reportInventory(procB(), auth.body)).toBe(401);
    expect(
      (await call(procB(), 'GET', `/api/management/v2/devauth/devices/${d.deviceId}`, user)).status,
    ).toBe(404);
  });

  it('batched token lookups: with many requests in flight on A across a reject on B, every request sent after the reject returned is refused', async () => {
    const user = await login(procB());
    const accepted = async (mac: string) => {
      const d = await newPendingDevice(procB(), user, mac);
      await setStatus(procB(), user, d.deviceId, d.authSetId, 'accepted');
      const auth = await deviceAuth(procA(), d.keys, d.mac);
      expect(auth.status).toBe(200);
      return { ...d, token: auth.body };
    };
    const target = await accepted('de:ad:be:ef:a0:05');
    // Other devices polling through A at the same time: their lookups share A's batches.
    const others = [await accepted('de:ad:be:ef:a0:06'), await accepted('de:ad:be:ef:a0:07')];

    const WORKERS = 24;
    /** Requests each worker sends after the reject returned (at most MAX_ROUNDS in all). */
    const AFTER = 8;
    const MAX_ROUNDS = 5000;
    let rejectReturned = false;
    const results: {
      target: boolean;
      sentAfterReject: boolean;
      answeredAfterReject: boolean;
      status: number;
    }[] = [];
    const worker = async (w: number) => {
      let after = 0;
      for (let i = 0; i < MAX_ROUNDS && after < AFTER; i += 1) {
        const isTarget = (i + w) % 2 === 0;
        const token = isTarget ? target.token : (others[(i + w) % others.length]?.token as string);
        const sentAfterReject = rejectReturned;
        const status = await reportInventory(procA(), token);
        results.push({ target: isTarget, sentAfterReject, answeredAfterReject: rejectReturned, status });
        if (sentAfterReject) after += 1;
      }
    };
    const loops = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    // Reject once A has answered the target's token a few times: from then on WORKERS requests are
    // always in flight on A, so the reject commits and returns while lookups are being batched.
    for (
      let i = 0;
      i < MAX_ROUNDS && results.filter((r) => r.target && r.status === 200).length < WORKERS;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await setStatus(procB(), user, target.deviceId, target.authSetId, 'rejected');
    rejectReturned = true;
    await loops;

    const targetAfter = results.filter((r) => r.target && r.sentAfterReject);
    expect(targetAfter.length).toBeGreaterThan(0);
    expect(targetAfter.filter((r) => r.status !== 401)).toEqual([]);
    // The scenario happened: the token worked before, and requests were in flight across the reject.
    expect(results.some((r) => r.target && !r.sentAfterReject && r.status === 200)).toBe(true);
    expect(results.some((r) => !r.sentAfterReject && r.answeredAfterReject)).toBe(true);
    // The other devices' requests, batched with the refused ones, were answered normally.
    expect(results.filter((r) => !r.target && r.status !== 200)).toEqual([]);
  });

  it('a user token from A works on B; logout on A makes it fail on B at once', async () => {
    const user = await login(procA());
    expect((await call(procB(), 'GET', '/api/management/v2/devauth/devices', user)).status).toBe(200);
    expect((await call(procA(), 'POST', '/api/management/v1/useradm/auth/logout', user)).status).toBe(202);
    const res = await call(procB(), 'GET', '/api/management/v2/devauth/devices', user);
    expect(res.status).toBe(401);
    expect((await call(procA(), 'GET', '/api/management/v2/devauth/devices', user)).status).toBe(401);
  });

  it('both processes are still running', () => {
    expect(procA().child.exitCode).toBeNull();
    expect(procB().child.exitCode).toBeNull();
  });
});

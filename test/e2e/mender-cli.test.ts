import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { IN_CI } from '../helpers/env.js';

/**
 * The real Debian mender-cli 1.9 against a real listening Gatehouse (its useradm login and
 * device list calls): login stores a token that works, `devices list` shows the
 * devices with their identity and status in every output mode.
 */
const MENDER_CLI = '/usr/bin/mender-cli';
const haveCli = existsSync(MENDER_CLI);
if (!haveCli && IN_CI) throw new Error(`${MENDER_CLI} is required in CI (run test/e2e/setup-host.sh)`);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** mender-cli's separator between devices in non-raw output. */
const SEPARATOR = /^-{80}$/m;

const PASSWORD = 'mender-cli password 1';

describe.skipIf(!haveCli).each(dialects())('mender-cli 1.9 against Gatehouse (%s)', (dialect) => {
  let db: TestDatabase;
  let server: RunningServer;
  let home: string;
  let email: string;
  const devices = {
    pending: { mac: 'de:ad:be:ef:c1:01', id: '' },
    preauthorized: { mac: 'de:ad:be:ef:c1:02', id: '' },
    accepted: { mac: 'de:ad:be:ef:c1:03', id: '' },
  };

  // Async (never execFileSync): the server answering mender-cli runs in this same process.
  const cli = (...args: string[]): Promise<CliResult> =>
    new Promise((resolve) => {
      execFile(
        MENDER_CLI,
        ['--server', server.url, ...args],
        // HOME holds ~/.mender-clirc, XDG_CACHE_HOME the token file: both private to this test.
        { env: { PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache') }, timeout: 20_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          // Without ~/.mender-clirc it prints this notice on stdout, ahead of the output proper.
          const out = String(stdout).replace(/^Configuration file not found\. Continuing\.\n/, '');
          resolve({ code, stdout: out, stderr: String(stderr) });
        },
      );
    });

  const tokenFile = () => join(home, 'cache', 'mender', 'authtoken');

  const api = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** A signed auth request over HTTP, exactly as the Go client builds it. */
  const deviceAuth = async (keys: ReturnType<typeof makeDeviceKeys>, mac: string) => {
    const req = authRequest(keys, { mac });
    return fetch(`${server.url}${req.url}`, { method: req.method, headers: req.headers, body: req.payload });
  };

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    home = mkdtempSync(join(tmpdir(), 'gh-mender-cli-'));
    mkdirSync(join(home, 'cache'));
    const config = loadConfig(
      { dataDir: db.dataDir, databaseUrl: db.url, listen: '127.0.0.1:0', logLevel: 'silent' },
      {},
    );
    server = await startServer(config);
    email = `cli-${dialect}@example.com`;
    await server.gh.users.service.create({ tenantId: DEFAULT_TENANT_ID, email, password: PASSWORD });
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('login with a wrong password fails and stores no token', async () => {
    const r = await cli('login', '--username', email, '--password', 'not the password');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('login failed with status 401');
    expect(existsSync(tokenFile())).toBe(false);

    const unknown = await cli('login', '--username', 'nobody@example.com', '--password', PASSWORD);
    expect(unknown.code).not.toBe(0);
    expect(existsSync(tokenFile())).toBe(false);
  });

  it('login succeeds and stores a bare token that works on the management API', async () => {
    // Mixed case: the login email is matched case-insensitively, like useradm.
    const r = await cli('login', '--username', email.toUpperCase(), '--password', PASSWORD);
    expect(r.stderr).not.toContain('FAILURE');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('login successful');
    const token = readFileSync(tokenFile(), 'utf8');
    // mender-cli stores the response body verbatim: it must be the bare JWT.
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const principal = await server.gh.users.service.checkToken(token);
    expect(principal).toMatchObject({ email, tenantId: DEFAULT_TENANT_ID });
    const me = await api('GET', '/api/management/v1/useradm/users/me', token);
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(email);
  });

  it('devices list shows nothing before any device exists', async () => {
    const r = await cli('devices', 'list', '--raw');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stderr)).toEqual([]);
  });

  it('devices list shows pending, preauthorized and accepted devices with identity and status', async () => {
    const token = readFileSync(tokenFile(), 'utf8');

    // Pending: first contact of a device with a signed auth request.
    const pendingKeys = makeDeviceKeys('rsa');
    expect((await deviceAuth(pendingKeys, devices.pending.mac)).status).toBe(401);

    // Preauthorized through the management API, with the token mender-cli stored.
    const preKeys = makeDeviceKeys('ec');
    const pre = await api('POST', '/api/management/v2/devauth/devices', token, {
      identity_data: { mac: devices.preauthorized.mac },
      pubkey: preKeys.publicPem,
    });
    expect(pre.status).toBe(201);

    // Accepted: first contact, then accepted by the admin, then a token for the device.
    const accKeys = makeDeviceKeys('ed25519');
    expect((await deviceAuth(accKeys, devices.accepted.mac)).status).toBe(401);
    const { devices: listed } = await server.gh.devauth.admin.listDevices(DEFAULT_TENANT_ID, {
      page: { page: 1, perPage: 20 },
    });
    const byMac = (mac: string) => listed.find((d) => d.identity.mac === mac);
    const acc = byMac(devices.accepted.mac);
    const put = await api(
      'PUT',
      `/api/management/v2/devauth/devices/${acc?.id}/auth/${acc?.authSets[0]?.id}/status`,
      token,
      {
        status: 'accepted',
      },
    );
    expect(put.status).toBe(204);
    expect((await deviceAuth(accKeys, devices.accepted.mac)).status).toBe(200);

    for (const [status, d] of Object.entries(devices)) {
      const found = byMac(d.mac);
      expect(found, status).toBeDefined();
      d.id = found?.id ?? '';
    }

    // --raw: the JSON array exactly as the server sent it (mender-cli 1.9 prints it on stderr).
    const raw = await cli('devices', 'list', '--raw');
    expect(raw.code).toBe(0);
    const rawList = JSON.parse(raw.stderr) as {
      id: string;
      status: string;
      identity_data: { mac: string };
    }[];
    expect(rawList).toHaveLength(3);
    for (const [status, d] of Object.entries(devices)) {
      expect(rawList.find((x) => x.id === d.id)).toMatchObject({ status, identity_data: { mac: d.mac } });
    }

    // Default output (detail 0): one block per device with its id and status.
    const plain = await cli('devices', 'list');
    expect(plain.code).toBe(0);
    const plainBlocks = blocksOf(plain.stdout);
    expect(plainBlocks).toHaveLength(3);
    for (const [status, d] of Object.entries(devices)) {
      const block = plainBlocks.find((b) => b.includes(`ID: ${d.id}`));
      expect(block, status).toBeDefined();
      expect(block).toMatch(new RegExp(`^Status: ${status}$`, 'm'));
    }

    // --detail 3: identity (mac decoded by mender-cli as a string), status and the auth sets.
    const detail = await cli('devices', 'list', '--detail', '3');
    expect(detail.code).toBe(0);
    const blocks = blocksOf(detail.stdout);
    expect(blocks).toHaveLength(3);
    for (const [status, d] of Object.entries(devices)) {
      const block = blocks.find((b) => b.includes(`ID: ${d.id}`)) ?? '';
      expect(block).toMatch(new RegExp(`^Status: ${status}$`, 'm'));
      expect(block).toMatch(new RegExp(`^  MAC address: ${d.mac}$`, 'm'));
      expect(block).toContain('Decommissioning: false');
      expect(block).toContain('AuthSet[0]:');
      expect(block).toMatch(new RegExp(`^  Status: ${status}$`, 'm'));
      expect(block).toContain('-----BEGIN PUBLIC KEY-----');
    }
  });

  it('a token that no longer works makes devices list fail', async () => {
    const token = readFileSync(tokenFile(), 'utf8');
    const out = await api('POST', '/api/management/v1/useradm/auth/logout', token);
    expect(out.status).toBe(202);
    const r = await cli('devices', 'list');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('status 401');
  });
});

const blocksOf = (stdout: string): string[] =>
  stdout
    .split(SEPARATOR)
    .map((b) => b.trim())
    .filter((b) => b.length > 0);

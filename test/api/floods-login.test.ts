import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';

// Login guessing against a real listening server, from real distinct loopback addresses
// (127.0.0.x): limits per account at an address, per address, and per account (docs/limits.md).
const PER_PAIR = 5;
const PER_ADDRESS = 20;
const PER_ACCOUNT = 12;
const PASSWORD = 'correct horse battery staple';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: Record<string, unknown>;
}

describe.each(dialects())('login guessing on %s', (dialect) => {
  let db: TestDatabase;
  let server: RunningServer;
  let port: number;
  let seq = 0;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    server = await startServer(
      loadConfig(
        {
          dataDir: db.dataDir,
          databaseUrl: db.url,
          listen: '127.0.0.1:0',
          logLevel: 'silent',
          loginMaxFailures: String(PER_PAIR),
          loginMaxFailuresPerAddress: String(PER_ADDRESS),
          loginMaxFailuresPerAccount: String(PER_ACCOUNT),
        },
        {},
      ),
    );
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server.stop();
    await db.drop();
  });

  const owner = async () => {
    seq += 1;
    const email = `owner${seq}-${Date.now()}@example.com`;
    await server.gh.users.service.create({ tenantId: DEFAULT_TENANT_ID, email, password: PASSWORD });
    return email;
  };

  /** mender-cli's login request, from `localAddress`. */
  const login = (localAddress: string, email: string, password: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/management/v1/useradm/auth/login',
          localAddress,
          agent: false,
          headers: {
            authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`,
            'content-type': 'application/json',
          },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => {
            text += c;
          });
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const retryAfter = res.headers['retry-after'];
            resolve({ status, retryAfter, body: status === 200 ? { token: text } : JSON.parse(text) });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  const statuses = (answers: Answer[]) => answers.map((a) => a.status);
  /** The answer without what differs per request. */
  const shape = (a: Answer) => ({ status: a.status, error: a.body.error, retry: a.retryAfter !== undefined });

  it('locks a guessing address out of an account while the owner logs in from another, and unknown accounts look the same', async () => {
    const email = await owner();
    const flood: Answer[] = [];
    for (let i = 0; i < 3 * PER_PAIR; i++) {
      flood.push(await login('127.0.0.2', email, `guess-${i}`));
      // The owner logs in from another address in the middle of the flood.
      if (i === PER_PAIR + 2) expect((await login('127.0.0.3', email, PASSWORD)).status).toBe(200);
    }
    expect(statuses(flood)).toEqual([...Array(PER_PAIR - 1).fill(401), ...Array(2 * PER_PAIR + 1).fill(429)]);
    for (const a of flood.slice(PER_PAIR - 1)) {
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(a.retryAfter)).toBeLessThanOrEqual(60);
      expect(a.body).toEqual({
        error: 'too many failed logins, retry later',
        request_id: expect.any(String),
      });
    }
    // While locked, the right password from that address is refused unchecked; elsewhere it works.
    expect((await login('127.0.0.2', email, PASSWORD)).status).toBe(429);
    expect((await login('127.0.0.3', email, PASSWORD)).status).toBe(200);

    // The same flood against an account that does not exist gets exactly the same answers.
    const ghost: Answer[] = [];
    for (let i = 0; i < 3 * PER_PAIR; i++)
      ghost.push(await login('127.0.0.4', `nobody${seq}@example.com`, `g-${i}`));
    expect(ghost.map(shape)).toEqual(flood.map(shape));
  });

  it('locks an address that sprays guesses over many accounts', async () => {
    const email = await owner();
    const spray: number[] = [];
    for (let i = 0; i < PER_ADDRESS + 3; i++)
      spray.push((await login('127.0.0.5', `user${i}@example.com`, 'x')).status);
    expect(spray).toEqual([...Array(PER_ADDRESS - 1).fill(401), ...Array(4).fill(429)]);
    expect((await login('127.0.0.5', email, PASSWORD)).status).toBe(429);
    expect((await login('127.0.0.6', email, PASSWORD)).status).toBe(200);
  });

  it('gives each address one guess while an account is guessed from many, and never locks the owner out', async () => {
    const email = await owner();
    const answers: number[] = [];
    for (let i = 1; i <= PER_ACCOUNT; i++)
      answers.push((await login(`127.0.1.${i}`, email, `guess-${i}`)).status);
    // Below the per-account threshold each address gets its usual allowance; the failure that
    // reaches the threshold puts the account under attack and locks its own address.
    expect(answers).toEqual([...Array(PER_ACCOUNT - 1).fill(401), 429]);
    expect((await login('127.0.2.1', email, 'one-more-guess')).status).toBe(429);
    expect((await login('127.0.2.1', email, PASSWORD)).status).toBe(429);
    // The owner, with the right password, gets in at the first try from any other address.
    expect((await login('127.0.2.2', email, PASSWORD)).status).toBe(200);
    expect((await login('127.0.1.1', email, PASSWORD)).status).toBe(200);
  });
});

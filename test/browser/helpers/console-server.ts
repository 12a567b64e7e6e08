import {
  type GatehouseProcess,
  runGatehouseCli,
  spawnGatehouse,
} from '../../e2e/helpers/gatehouse-process.js';
import { createTestDatabase, type DialectName, type TestDatabase } from '../../helpers/databases.js';

/**
 * A real `gatehouse serve` child process on a fresh database, serving the built console at /,
 * with an admin (made with the CLI, as an operator would on a new install) and a read-only user
 * (made by the admin through the API).
 */
export interface ConsoleUser {
  email: string;
  password: string;
  /** A bearer token of this user, for checks the test makes over the API. */
  token: string;
}

export interface ApiResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface ConsoleServer {
  url: string;
  dialect: DialectName;
  db: TestDatabase;
  process: GatehouseProcess;
  admin: ConsoleUser;
  readonly: ConsoleUser;
  /** The management API as `user` (the admin by default). */
  api<T = unknown>(
    method: string,
    path: string,
    opts?: { body?: unknown; user?: ConsoleUser },
  ): Promise<ApiResult<T>>;
  /** Like api(), but throws unless the status is `expected`; returns the body. */
  apiOk<T = unknown>(
    method: string,
    path: string,
    expected?: number,
    opts?: { body?: unknown; user?: ConsoleUser },
  ): Promise<T>;
  /** The server's recent output, for failure messages. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

export const LOGIN_PATH = '/api/management/v1/useradm/auth/login';

/**
 * Flags of the server under test. Browser tests send many unknown-device auth requests from one
 * address (200 pending devices in a few seconds): the per-address and per-tenant limits, which a
 * real fleet needs, are off here.
 */
export const CONSOLE_SERVER_FLAGS = [
  '--auth-unknown-per-address-per-minute',
  '0',
  '--auth-unknown-per-tenant-per-minute',
  '0',
] as const;

export const login = async (url: string, email: string, password: string): Promise<string> => {
  const res = await fetch(`${url}${LOGIN_PATH}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` },
  });
  if (res.status !== 200) throw new Error(`login of ${email}: HTTP ${res.status} ${await res.text()}`);
  return (await res.text()).trim();
};

const callApi = async <T>(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
};

export const startConsoleServer = async (
  dialect: DialectName,
  opts: { flags?: string[] } = {},
): Promise<ConsoleServer> => {
  const db = await createTestDatabase(dialect);
  let proc: GatehouseProcess | undefined;
  try {
    proc = await spawnGatehouse(db, [...CONSOLE_SERVER_FLAGS, ...(opts.flags ?? [])]);
    const url = proc.url;
    const tag = Math.random().toString(36).slice(2, 8);
    const adminEmail = `admin-${tag}@example.com`;
    const password = 'console browser test password';
    await runGatehouseCli(db, ['users', 'create', '--email', adminEmail, '--password', password, '--json']);
    const admin: ConsoleUser = { email: adminEmail, password, token: await login(url, adminEmail, password) };

    const readonlyEmail = `viewer-${tag}@example.com`;
    const created = await callApi(url, admin.token, 'POST', '/api/management/v1/useradm/users', {
      email: readonlyEmail,
      password,
      role: 'readonly',
    });
    if (created.status !== 201)
      throw new Error(`creating the read-only user: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    const readonly: ConsoleUser = {
      email: readonlyEmail,
      password,
      token: await login(url, readonlyEmail, password),
    };

    const started = proc;
    const api = <T>(method: string, path: string, o: { body?: unknown; user?: ConsoleUser } = {}) =>
      callApi<T>(url, (o.user ?? admin).token, method, path, o.body);
    return {
      url,
      dialect,
      db,
      process: started,
      admin,
      readonly,
      api,
      apiOk: async <T>(
        method: string,
        path: string,
        expected = 200,
        o: { body?: unknown; user?: ConsoleUser } = {},
      ) => {
        const r = await api<T>(method, path, o);
        if (r.status !== expected)
          throw new Error(
            `${method} ${path}: expected HTTP ${expected}, got ${r.status} ${JSON.stringify(r.body)}`,
          );
        return r.body;
      },
      logTail: (lines = 40) => started.output.join('').trimEnd().split('\n').slice(-lines).join('\n'),
      stop: async () => {
        try {
          await started.stop();
        } finally {
          await db.drop();
        }
      },
    };
  } catch (e) {
    await proc?.stop().catch(() => {});
    await db.drop().catch(() => {});
    throw e;
  }
};

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestDatabase } from '../../helpers/databases.js';

/** A real `gatehouse serve` process, configured only by its command-line flags. */
export interface GatehouseProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export const freePort = async (): Promise<number> => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  srv.close();
  await once(srv, 'close');
  return port;
};

/** No GATEHOUSE_* from the outside, so only the flags configure the child. */
const childEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));

const gatehouseArgs = (db: TestDatabase, args: string[]) => [
  '--import',
  'tsx',
  'src/main.ts',
  ...args,
  '--database-url',
  db.url,
  '--data-dir',
  db.dataDir,
];

/**
 * `gatehouse serve --listen 127.0.0.1:<free port> <extra flags>` on `db`; resolves once
 * /api/health answers ok on the plain listener.
 */
export const spawnGatehouse = async (
  db: TestDatabase,
  extraFlags: string[],
  opts: { timeoutMs?: number } = {},
): Promise<GatehouseProcess> => {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    gatehouseArgs(db, ['serve', '--listen', `127.0.0.1:${port}`, '--log-level', 'warn', ...extraFlags]),
    { cwd: REPO, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 45_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      throw new Error(`gatehouse serve exited (${child.exitCode ?? child.signalCode}):\n${output.join('')}`);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200 && ((await res.json()) as { status: string }).status === 'ok')
        return { url, child, output, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`gatehouse serve not healthy in time:\n${output.join('')}`);
};

/** `gatehouse <args>` (e.g. users create) as a separate process on the same database and data dir. */
export const runGatehouseCli = (db: TestDatabase, args: string[]): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      gatehouseArgs(db, args),
      { cwd: REPO, env: childEnv(), timeout: 60_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(String(stdout)),
    );
  });

/** A `gatehouse <args>` child the test may kill at any moment (crash tests). */
export interface GatehouseCliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
}

export const startGatehouseCli = (db: TestDatabase, args: string[]): GatehouseCliProcess => {
  const child = spawn(process.execPath, gatehouseArgs(db, args), {
    cwd: REPO,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (c: Buffer) => stdout.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => stderr.push(c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  return { child, stdout, stderr, exited };
};

/** Creates an admin with the CLI and logs in over HTTP; returns the bearer token. */
export const adminTokenViaCli = async (db: TestDatabase, baseUrl: string): Promise<string> => {
  const email = `admin-${Date.now()}@example.com`;
  const password = 'a real process, a real login';
  await runGatehouseCli(db, ['users', 'create', '--email', email, '--password', password, '--json']);
  const res = await fetch(`${baseUrl}/api/management/v1/useradm/auth/login`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` },
  });
  if (res.status !== 200) throw new Error(`login: HTTP ${res.status} ${await res.text()}`);
  return res.text();
};

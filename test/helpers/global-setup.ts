import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MENDER_OPENAPI_JSON_ENV, writeMenderDocumentJson } from '../compat/mender-openapi.js';
import { PG_ADMIN_URL, PG_SKIPPED } from './env.js';

/** Whether a process of this id is running (signal 0 only checks). */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Every temporary file of one `npm test` run goes under one folder (`gh-run-<pid>-*`, made the
 * workers' TMPDIR), removed when the run ends. Workers are stopped, not exited, so their own
 * cleanup may not run; folders of runs whose process is gone (killed) are removed at the next
 * start. Concurrent runs each keep their own folder.
 */
const runTmpDir = (): string => {
  const base = tmpdir();
  for (const name of readdirSync(base)) {
    const m = /^gh-run-(\d+)-/.exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(base, name), { recursive: true, force: true });
  }
  return mkdtempSync(join(base, `gh-run-${process.pid}-`));
};

/**
 * Runs once per `npm test`: checks PostgreSQL and drops test databases left behind by earlier
 * interrupted runs. Without PostgreSQL the run fails, unless GATEHOUSE_TEST_PG=skip says to run
 * the SQLite variants only (never in CI).
 */
export default async function setup({ provide }: { provide: (k: string, v: unknown) => void }) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  let available = false;
  try {
    await client.connect();
    available = true;
    // Databases are named after the run that made them (gh_test_<pid>_*, databases.ts): only
    // those of runs that are gone are dropped, so concurrent runs never drop each other's. The
    // older unnamed form (gh_test_<hex>) is dropped when nobody is connected to it.
    const stale = await client.query<{ datname: string; connections: string }>(
      "select datname, (select count(*) from pg_stat_activity a where a.datname = pg_database.datname) as connections from pg_database where datname like 'gh_test_%'",
    );
    for (const r of stale.rows) {
      const owner = /^gh_test_(\d+)_[0-9a-f]+$/.exec(r.datname);
      const gone = owner ? !alive(Number(owner[1])) : Number(r.connections) === 0;
      if (gone) await client.query(`drop database if exists "${r.datname}" with (force)`);
    }
  } catch (e) {
    if (!PG_SKIPPED)
      throw new Error(
        `PostgreSQL is required (${PG_ADMIN_URL}): ${(e as Error).message}. ` +
          'Start it, point GATEHOUSE_TEST_PG_URL at one, or set GATEHOUSE_TEST_PG=skip to run the SQLite variants only.',
      );
  } finally {
    await client.end().catch(() => {});
  }
  provide('pgAvailable', available);
  provide('runPid', process.pid);
  const dir = runTmpDir();
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  const menderJson = writeMenderDocumentJson(dir);
  if (menderJson) process.env[MENDER_OPENAPI_JSON_ENV] = menderJson;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    delete process.env[MENDER_OPENAPI_JSON_ENV];
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAvailable: boolean;
    /** The process of this test run, which names its PostgreSQL databases. */
    runPid: number;
  }
}

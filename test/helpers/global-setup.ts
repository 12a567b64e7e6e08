import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { IN_CI, PG_ADMIN_URL } from './env.js';

/**
 * Runs once per `npm test`: checks PostgreSQL and drops test databases left behind by earlier
 * interrupted runs. Without PostgreSQL, PG variants are skipped locally and fail in CI.
 */
export default async function setup({ provide }: { provide: (k: string, v: unknown) => void }) {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  let available = false;
  try {
    await client.connect();
    available = true;
    const stale = await client.query<{ datname: string }>(
      "select datname from pg_database where datname like 'gh_test_%' and (select count(*) from pg_stat_activity a where a.datname = pg_database.datname) = 0",
    );
    for (const r of stale.rows) await client.query(`drop database if exists "${r.datname}"`);
  } catch (e) {
    if (IN_CI) throw new Error(`PostgreSQL is required in CI (${PG_ADMIN_URL}): ${(e as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
  provide('pgAvailable', available);
  // Test workers are stopped, not exited, so their own cleanup may not run: sweep temp dirs.
  return () => {
    for (const name of readdirSync(tmpdir())) {
      if (/^gh-(artifact|rootfs)-/.test(name)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgAvailable: boolean;
  }
}

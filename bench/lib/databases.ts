import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export type DialectName = 'sqlite' | 'postgres';

export interface BenchDatabase {
  dialect: DialectName;
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** Same default as test/helpers/env.ts; override with GATEHOUSE_TEST_PG_URL. */
export const PG_ADMIN_URL =
  process.env.GATEHOUSE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why PostgreSQL cannot be used (for the skip message), or null when it answers. */
export const postgresUnavailable = async (): Promise<string | null> => {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    await c.end().catch(() => {});
  }
};

const live = new Set<BenchDatabase>();

/** Drops every database not dropped yet (on Ctrl-C or a crash); never throws. */
export const dropLiveDatabases = async (): Promise<void> => {
  await Promise.allSettled([...live].map((db) => db.drop()));
};

/** A fresh, empty database and data dir (like test/helpers/databases.ts, without vitest). */
export const createBenchDatabase = async (dialect: DialectName): Promise<BenchDatabase> => {
  const db = await createDatabase(dialect);
  live.add(db);
  return {
    ...db,
    drop: async () => {
      live.delete(db);
      await db.drop();
    },
  };
};

const createDatabase = async (dialect: DialectName): Promise<BenchDatabase> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-bench-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return {
      dialect,
      url: `sqlite:${join(dataDir, 'gatehouse.db')}`,
      dataDir,
      drop: async () => removeDir(),
    };
  }
  const name = `gh_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    dialect,
    url: u.toString(),
    dataDir,
    drop: async () => {
      removeDir();
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
};

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { PG_ADMIN_URL } from './env.js';

export type DialectName = 'sqlite' | 'postgres';

export interface TestDatabase {
  dialect: DialectName;
  url: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** The dialects every storage test runs on (PostgreSQL only when available; CI requires it). */
export const dialects = (): DialectName[] => (inject('pgAvailable') ? ['sqlite', 'postgres'] : ['sqlite']);

/** A fresh, empty database (and data dir) of the given dialect. */
export const createTestDatabase = async (dialect: DialectName): Promise<TestDatabase> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-test-'));
  if (dialect === 'sqlite') {
    return {
      dialect,
      url: `sqlite:${join(dataDir, 'gatehouse.db')}`,
      dataDir,
      drop: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  // Named after the run (global-setup.ts drops a database only when its run is gone).
  const name = `gh_test_${inject('runPid')}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    dialect,
    url: u.toString(),
    dataDir,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

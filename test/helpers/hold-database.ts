import pg from 'pg';
import type { TestDatabase } from './databases.js';

/**
 * Keeps one connection to a PostgreSQL test database open until released. The global setup of a
 * test run drops the `gh_test_*` databases of runs that are gone, and those of the older unnamed
 * form that nobody is connected to; a test whose only connections are child processes that come
 * and go (crash tests) holds one of its own as well. No-op on SQLite.
 */
export const holdDatabase = async (db: TestDatabase): Promise<{ release(): Promise<void> }> => {
  if (db.dialect !== 'postgres') return { release: async () => {} };
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  client.on('error', () => {});
  return { release: () => client.end().catch(() => {}) };
};

import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { PG_ADMIN_URL } from '../helpers/env.js';
import { eventually } from '../helpers/webhook-receiver.js';

// The pool reports an idle connection that the server ended; what it reports is logged as is.
describe.runIf(dialects().includes('postgres'))('a lost idle PostgreSQL connection', () => {
  let db: TestDatabase;
  let store: Store;
  const reported: Error[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = openStore({ databaseUrl: db.url, poolSize: 2, onIdleError: (e) => reported.push(e) });
  });
  afterAll(async () => {
    await store?.destroy();
    await db?.drop();
  });

  it('is reported without the client (no cancel key, no statements), and the pool goes on', async () => {
    await store.ping(); // one connection, now idle in the pool
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        'select pg_terminate_backend(pid) as ended from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [new URL(db.url).pathname.slice(1)],
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    const e = (await eventually('the lost connection reported', () => reported[0], 5000)) as Error &
      Record<string, unknown>;
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toMatch(/terminat/i);
    expect(e.code).toBe('57P01');
    expect('client' in e).toBe(false);
    const logged = JSON.stringify({ ...e, message: e.message, stack: e.stack });
    expect(logged).not.toMatch(/secretKey|processID|parsedStatements/);
    await store.ping(); // a new connection replaces the lost one
  });
});

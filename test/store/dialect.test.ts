import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialectOf, needsLocks, rowLock } from '../../src/store/dialect.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';

describe.each(dialects())('dialect helpers on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    store = openStore({ databaseUrl: tdb.url });
  });
  afterAll(async () => {
    await store.destroy();
    await tdb.drop();
  });

  it('reads the dialect from the executor, the database and a transaction alike', async () => {
    expect(dialectOf(store.db)).toBe(dialect);
    expect(await store.db.transaction().execute(async (tx) => dialectOf(tx))).toBe(dialect);
    expect(needsLocks(store.db)).toBe(dialect === 'postgres');
  });

  it('adds the row lock on PostgreSQL only', () => {
    const q = (mode: 'update' | 'no key update' | 'share') =>
      store.db.selectFrom('tenants').select('id').$call(rowLock(store.db, mode)).compile().sql;
    const plain = store.db.selectFrom('tenants').select('id').compile().sql;
    if (dialect === 'postgres') {
      expect([q('update'), q('no key update'), q('share')]).toEqual([
        `${plain} for update`,
        `${plain} for no key update`,
        `${plain} for share`,
      ]);
    } else {
      expect([q('update'), q('no key update'), q('share')]).toEqual([plain, plain, plain]);
    }
  });
});

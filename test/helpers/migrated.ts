import { afterEach } from 'vitest';
import { migrateTo, migrateToLatest } from '../../src/store/migrate.js';
import { type Db, openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, type DialectName, type TestDatabase } from './databases.js';

/** The UUID numbered `n` (its last 12 hex digits), for rows a migration test names by number. */
export const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/**
 * For a migration test, inside its `describe`: `migratedTo(version)` opens a fresh database of
 * `dialect` with the migrations up to and including `version` applied (`'latest'`: all of them),
 * to seed rows of that schema before migrating further. The store is closed and the database
 * dropped after each test.
 */
export const migrationFixture = (dialect: DialectName): { migratedTo: (version: string) => Promise<Db> } => {
  let tdb: TestDatabase | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.destroy();
    await tdb?.drop();
    store = undefined;
    tdb = undefined;
  });
  return {
    migratedTo: async (version) => {
      tdb = await createTestDatabase(dialect);
      store = openStore({ databaseUrl: tdb.url });
      if (version === 'latest') await migrateToLatest(store.db);
      else await migrateTo(store.db, version);
      return store.db;
    },
  };
};

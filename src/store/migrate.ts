import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import * as m0001 from './migrations/0001-foundation.js';
import * as m0002 from './migrations/0002-inventory.js';
import * as m0003 from './migrations/0003-deployments.js';
import * as m0004 from './migrations/0004-bootstrap.js';
import * as m0005 from './migrations/0005-pki.js';
import * as m0006 from './migrations/0006-webhooks.js';
import * as m0007 from './migrations/0007-enrollment.js';
import * as m0008 from './migrations/0008-catch-up-0002-0003.js';
import * as m0009 from './migrations/0009-invariants.js';
import * as m0010 from './migrations/0010-flood-limits.js';
import * as m0011 from './migrations/0011-factory-imports.js';
import * as m0012 from './migrations/0012-device-scale.js';
import * as m0013 from './migrations/0013-covering-values.js';
import * as m0014 from './migrations/0014-group-counts.js';
import * as m0015 from './migrations/0015-ui-state.js';
import * as m0016 from './migrations/0016-bootstrap-hold.js';
import * as m0017 from './migrations/0017-deployment-size.js';
import { type Db, type OpenStoreOptions, openStore, type Store } from './store.js';

// Migrations are listed here explicitly (not read from disk) so they work from the compiled
// dist/ and from tsx alike; names sort in application order.
const migrations: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-inventory': m0002,
  '0003-deployments': m0003,
  '0004-bootstrap': m0004,
  '0005-pki': m0005,
  '0006-webhooks': m0006,
  '0007-enrollment': m0007,
  '0008-catch-up-0002-0003': m0008,
  '0009-invariants': m0009,
  '0010-flood-limits': m0010,
  '0011-factory-imports': m0011,
  '0012-device-scale': m0012,
  '0013-covering-values': m0013,
  '0014-group-counts': m0014,
  '0015-ui-state': m0015,
  '0016-bootstrap-hold': m0016,
  '0017-deployment-size': m0017,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export class MigrationError extends Error {}

/** Applies every pending migration; safe to run concurrently from several processes. */
export const migrateToLatest = async (db: Db): Promise<string[]> =>
  applied(await new Migrator({ db, provider }).migrateToLatest());

/**
 * migrateToLatest for a store the server runs on. Migrations may run longer than any request
 * should (an index on a large table): on PostgreSQL they get a connection of their own, opened
 * with `connection` (the store's options without its statement timeout).
 */
export const migrateStore = async (store: Store, connection: OpenStoreOptions): Promise<void> => {
  if (store.dialect !== 'postgres') {
    await migrateToLatest(store.db);
    return;
  }
  const unbounded = openStore({ ...connection, poolSize: 1 });
  try {
    await migrateToLatest(unbounded.db);
  } finally {
    await unbounded.destroy();
  }
};

/** Applies the migrations up to and including `name` (tests build databases of earlier versions). */
export const migrateTo = async (db: Db, name: string): Promise<string[]> =>
  applied(await new Migrator({ db, provider }).migrateTo(name));

const applied = (result: MigrationResultSet): string[] => {
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '?'} failed: ${(result.error as Error).message ?? result.error}`,
    );
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
};

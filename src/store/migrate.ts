import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from 'kysely';
import * as m0001 from './migrations/0001-foundation.js';
import * as m0002 from './migrations/0002-inventory.js';
import * as m0003 from './migrations/0003-deployments.js';
import * as m0004 from './migrations/0004-bootstrap.js';
import * as m0005 from './migrations/0005-pki.js';
import * as m0006 from './migrations/0006-webhooks.js';
import * as m0007 from './migrations/0007-enrollment.js';
import * as m0010 from './migrations/0010-flood-limits.js';
import type { Db } from './store.js';

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
  '0010-flood-limits': m0010,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export class MigrationError extends Error {}

/** Applies every pending migration; safe to run concurrently from several processes. */
export const migrateToLatest = async (db: Db): Promise<string[]> => {
  const migrator = new Migrator({ db, provider });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '?'} failed: ${(result.error as Error).message ?? result.error}`,
    );
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
};

import { type Kysely, Migrator } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openStore, type Store } from '../../src/store/store.js';
import { runGatehouseCli } from '../e2e/helpers/gatehouse-process.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { holdDatabase } from '../helpers/hold-database.js';

// Pending migrations apply in one transaction on both dialects, so a process killed in the middle
// of one (first start, upgrade) leaves the schema as it was, and the next start simply migrates.
// Shown with a migration that fails after its first statement: the same place a kill could hit.
describe.each(dialects())('migrations are all or nothing on %s', (dialect) => {
  let db: TestDatabase;
  let store: Store;
  afterEach(async () => {
    await store?.destroy();
    await db?.drop();
  });

  it('a migration that stops half way leaves nothing behind, and the next run applies it', async () => {
    db = await createTestDatabase(dialect);
    store = openStore({ databaseUrl: db.url });
    let crash = true;
    const migrator = new Migrator({
      db: store.db as unknown as Kysely<unknown>,
      provider: {
        getMigrations: async () => ({
          '0001-half': {
            async up(k: Kysely<unknown>) {
              await k.schema.createTable('half_a').addColumn('id', 'text').execute();
              if (crash) throw new Error('killed here');
              await k.schema.createTable('half_b').addColumn('id', 'text').execute();
            },
          },
        }),
      },
    });
    expect((await migrator.migrateToLatest()).error).toBeInstanceOf(Error);
    const tables = async () =>
      (await store.db.introspection.getTables()).map((t) => t.name).filter((n) => n.startsWith('half_'));
    expect(await tables()).toEqual([]);
    crash = false;
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    expect((await tables()).sort()).toEqual(['half_a', 'half_b']);
  });

  it('two processes migrating one new database at once both succeed', async () => {
    db = await createTestDatabase(dialect);
    const hold = await holdDatabase(db);
    const out = await Promise.all([
      runGatehouseCli(db, ['migrate']),
      runGatehouseCli(db, ['migrate']),
    ]).finally(() => hold.release());
    expect(out).toHaveLength(2);
    store = openStore({ databaseUrl: db.url });
    expect(await migrateToLatest(store.db)).toEqual([]);
  }, 60_000);
});

import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Migration, Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import * as m0001 from '../../src/store/migrations/0001-foundation.js';
import * as m0002 from '../../src/store/migrations/0002-inventory.js';
import * as m0008 from '../../src/store/migrations/0008-catch-up-0002-0003.js';
import * as m0012 from '../../src/store/migrations/0012-device-scale.js';
import * as m0014 from '../../src/store/migrations/0014-group-counts.js';
import { openStore, type Store } from '../../src/store/store.js';
import * as landed0002 from '../fixtures/migrations-as-landed/0002-inventory.js';
import * as landed0003 from '../fixtures/migrations-as-landed/0003-deployments.js';
import { createTestDatabase, type DialectName, dialects, type TestDatabase } from '../helpers/databases.js';
import { readDeclaredSchema } from '../helpers/declared-schema.js';
import { introspectSchema, portableSchema, type SchemaShape } from '../helpers/schema-introspection.js';

// The schema the migrations build, compared with what the code declares (src/store/schema.ts),
// with what a database migrated before 0002/0003 were edited ends up with, and across dialects
// (docs/adr/0012-frozen-migrations.md).

const SCHEMA_TS = fileURLToPath(new URL('../../src/store/schema.ts', import.meta.url));
const MIGRATIONS_DIR = fileURLToPath(new URL('../../src/store/migrations/', import.meta.url));

/**
 * Databases migrated before the edits, as they really happened: the migrations that existed then,
 * some in their first text (test/fixtures/migrations-as-landed/). Each is then upgraded with
 * today's migrations (0004 onwards, 0008 among them) and must equal a fresh database.
 */
const HISTORIES: { name: string; steps: Record<string, Migration> }[] = [
  {
    name: 'migrated at fc30f6b (0002 as landed, no 0003 yet)',
    steps: { '0001-foundation': m0001, '0002-inventory': landed0002 },
  },
  {
    name: 'migrated between 9bf71ed and 1da20eb (0003 as landed)',
    steps: { '0001-foundation': m0001, '0002-inventory': m0002, '0003-deployments': landed0003 },
  },
  {
    name: 'migrated at fc30f6b, upgraded before 1da20eb (0002 and 0003 as landed)',
    steps: { '0001-foundation': m0001, '0002-inventory': landed0002, '0003-deployments': landed0003 },
  },
];

interface Migrated {
  tdb: TestDatabase;
  store: Store;
}

const opened: Migrated[] = [];

const openDatabase = async (dialect: DialectName): Promise<Migrated> => {
  const tdb = await createTestDatabase(dialect);
  const m = { tdb, store: openStore({ databaseUrl: tdb.url }) };
  opened.push(m);
  return m;
};

const migrateWith = async (m: Migrated, steps: Record<string, Migration>): Promise<void> => {
  const migrator = new Migrator({ db: m.store.db, provider: { getMigrations: async () => steps } });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
};

const introspect = (m: Migrated): Promise<SchemaShape> => introspectSchema(m.store.db, m.tdb.dialect);

afterAll(async () => {
  for (const m of opened) {
    await m.store.destroy();
    await m.tdb.drop();
  }
});

const declared = readDeclaredSchema(SCHEMA_TS);

describe.each(dialects())('migrated schema on %s', (dialect) => {
  let fresh: Migrated;
  let freshSchema: SchemaShape;
  beforeAll(async () => {
    fresh = await openDatabase(dialect);
    await migrateToLatest(fresh.store.db);
    freshSchema = await introspect(fresh);
  });

  it('has the tables and columns src/store/schema.ts declares, with their nullability', () => {
    const lines = (tables: Record<string, { name: string; nullable: boolean }[]>): string[] =>
      Object.entries(tables)
        .flatMap(([table, columns]) =>
          columns.map((c) => `${table}.${c.name} ${c.nullable ? 'null' : 'not null'}`),
        )
        .sort();
    const migrated = Object.fromEntries(
      Object.entries(freshSchema).map(([table, t]) => [
        table,
        t.columns.map((c) => ({ name: c.name, nullable: !c.notNull })),
      ]),
    );
    expect(
      Object.keys(freshSchema).sort(),
      'tables: keep src/store/schema.ts in step with the migrations',
    ).toEqual(Object.keys(declared).sort());
    expect(lines(migrated), 'columns: keep src/store/schema.ts in step with the migrations').toEqual(
      lines(declared),
    );
  });

  it('applied every migration file, each registered in src/store/migrate.ts', async () => {
    const files = readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{4}-.*\.ts$/.test(f) && !f.endsWith('.test.ts'))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      fresh.store.db,
    );
    expect(rows.map((r) => r.name)).toEqual(files);
  });

  it.each(HISTORIES)('$name, then upgraded, equals a fresh database', async ({ steps }) => {
    const old = await openDatabase(dialect);
    await migrateWith(old, steps);
    const before = await introspect(old);
    // The history really lacks what the edits added (the fixtures are the first texts).
    const lacks =
      !before.inventory_digests ||
      (before.device_deployments !== undefined &&
        !before.device_deployments.indexes.some((i) => i.name === 'device_deployments_active_idx'));
    expect(lacks).toBe(true);

    await migrateToLatest(old.store.db);
    expect(await introspect(old)).toEqual(freshSchema);
  });

  it('keeps rows through the upgrade, and the added table works', async () => {
    const old = await openDatabase(dialect);
    await migrateWith(old, HISTORIES[2]?.steps ?? {});
    const db = old.store.db;
    const tenantId = '00000000-0000-4000-8000-000000000000';
    const now = Date.now();
    await db
      .insertInto('devices')
      .values({
        id: 'd1',
        tenant_id: tenantId,
        id_data: '{"mac":"1"}',
        id_data_sha256: 'h1',
        status: 'accepted',
        created_at: now,
        updated_at: now,
        check_in_at: null,
      })
      .execute();
    await db
      .insertInto('deployments')
      .values({
        id: 'dep1',
        tenant_id: tenantId,
        name: 'n',
        artifact_name: 'a',
        status: 'inprogress',
        force_installation: 0,
        max_devices: 1,
        groups: '[]',
        constructor_sha256: 'c',
        created_at: now,
        finished_at: null,
      })
      .execute();
    await db
      .insertInto('device_deployments')
      .values({
        deployment_id: 'dep1',
        device_id: 'd1',
        tenant_id: tenantId,
        status: 'pending',
        substate: null,
        is_active: 1,
        artifact_id: null,
        provides: null,
        created_at: now,
        started_at: null,
        finished_at: null,
        log_available: 0,
      })
      .execute();

    await migrateToLatest(db);
    expect(
      await db.selectFrom('device_deployments').select(['deployment_id', 'device_id']).execute(),
    ).toEqual([{ deployment_id: 'dep1', device_id: 'd1' }]);
    await db
      .insertInto('inventory_digests')
      .values({ device_id: 'd1', scope: 'inventory', digest: 'x', updated_at: now })
      .execute();
    await db.deleteFrom('devices').where('id', '=', 'd1').execute();
    expect(await db.selectFrom('inventory_digests').selectAll().execute()).toEqual([]);
  });

  it('0008 is idempotent: running it again changes nothing', async () => {
    await m0008.up(fresh.store.db);
    await m0008.up(fresh.store.db);
    expect(await introspect(fresh)).toEqual(freshSchema);
  });

  it('0012 keeps device_counts by triggers, and running it again changes nothing', async () => {
    expect(freshSchema.devices?.triggers).toEqual(
      expect.arrayContaining(['devices_counts_delete', 'devices_counts_insert', 'devices_counts_update']),
    );
    await m0012.up(fresh.store.db);
    expect(await introspect(fresh)).toEqual(freshSchema);
  });

  it('0014 keeps group_counts by triggers on both tables, and running it again changes nothing', async () => {
    expect(freshSchema.devices?.triggers).toEqual(
      expect.arrayContaining(['devices_group_counts_delete', 'devices_group_counts_status']),
    );
    expect(freshSchema.inventory_attributes?.triggers).toEqual(
      expect.arrayContaining([
        'inventory_group_counts_delete',
        'inventory_group_counts_insert',
        'inventory_group_counts_update',
      ]),
    );
    await m0014.up(fresh.store.db);
    expect(await introspect(fresh)).toEqual(freshSchema);
  });
});

/**
 * Indexes and triggers one dialect has by design, by table. inventory_attributes_short_value_idx
 * (0013): the values of 0012's expression index stored as such, because PostgreSQL reads an
 * expression index only together with the table; SQLite reads 0012's index alone already. The
 * lock triggers of 0014: PostgreSQL locks a device before its group row is written; SQLite's
 * write transactions are serialised.
 */
const ONE_DIALECT_ONLY: Record<string, string[]> = {
  inventory_attributes: [
    'index inventory_attributes_short_value_idx (tenant_id, scope, name, value, device_id) partial',
    'trigger inventory_group_counts_lock_delete',
    'trigger inventory_group_counts_lock_insert',
    'trigger inventory_group_counts_lock_update',
  ],
};

describe('SQLite and PostgreSQL', () => {
  it.runIf(dialects().includes('postgres'))(
    'get the same tables, columns, nullability, keys and indexes',
    async () => {
      const schemas: Record<string, string[]>[] = [];
      for (const dialect of ['sqlite', 'postgres'] as const) {
        const m = await openDatabase(dialect);
        await migrateToLatest(m.store.db);
        const schema = portableSchema(await introspect(m));
        if (dialect === 'postgres') {
          for (const [table, only] of Object.entries(ONE_DIALECT_ONLY)) {
            expect(schema[table], `${table} on PostgreSQL`).toEqual(expect.arrayContaining(only));
            schema[table] = (schema[table] ?? []).filter((line) => !only.includes(line));
          }
        }
        schemas.push(schema);
      }
      expect(
        schemas[1],
        'PostgreSQL (received) vs SQLite (expected): a migration forgot one dialect',
      ).toEqual(schemas[0]);
    },
  );
});

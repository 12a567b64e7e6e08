import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKnownState } from '../../src/devauth/index.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import { openStore, type Store } from '../../src/store/store.js';
import { DEFAULT_TENANT_ID as T } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { seedFleet } from '../helpers/fleet-seed.js';
import { captureQueries } from '../helpers/query-capture.js';
import { explain } from '../helpers/query-plans.js';

// A device import looks up each batch's identities and keys (readKnownState) in tables it is
// filling, before PostgreSQL has statistics for them (autovacuum analyses later, if at all during
// the import). Without statistics PostgreSQL guesses that a tenant holds 0.5% of the rows, and a
// plain `IN (...)` of 500 keys then reads every device of the tenant through the tenant index,
// once per batch: a million-row import slowed down tenfold. Each key must be found through its
// unique index whatever the statistics say. No ANALYZE here, on purpose.

const TABLES = new Set(['devices', 'auth_sets']);
const TENANT_WIDE = [
  'devices_tenant_created_idx',
  'devices_tenant_status_idx',
  'auth_sets_tenant_status_idx',
];

describe.each(dialects())('import lookups without statistics on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    store = openStore({ databaseUrl: tdb.url });
    await migrateToLatest(store.db);
    await seedFleet(store, { tenantId: T, devices: 5_000 });
  }, 120_000);

  afterAll(async () => {
    await store?.destroy();
    await tdb?.drop();
  });

  it('finds every identity and key of a batch through its unique index, never the whole tenant', async () => {
    const devices = await store.db
      .selectFrom('auth_sets')
      .innerJoin('devices', 'devices.id', 'auth_sets.device_id')
      .select(['devices.id_data_sha256', 'auth_sets.pubkey_sha256'])
      .limit(250)
      .execute();
    const fresh = (i: number) => i.toString(16).padStart(64, '0');
    const ids = [...devices.map((d) => d.id_data_sha256), ...devices.map((_, i) => fresh(i))];
    const keys = [...devices.map((d) => d.pubkey_sha256), ...devices.map((_, i) => fresh(i + 1000))];

    const known = await readKnownState(store.db, T, ids, keys);
    expect(known.devices.size).toBe(250);
    expect(known.keys.size).toBe(250);

    const statements = await captureQueries(dialect, (db) => readKnownState(db, T, ids, keys));
    expect(statements).toHaveLength(2);
    const [byIdentity, byKey] = await Promise.all(
      statements.map((q) => explain(store.db, dialect, q, TABLES)),
    );
    for (const plan of [byIdentity, byKey]) {
      const p = plan as NonNullable<typeof plan>;
      expect(p.fullScans, p.text).toEqual([]);
      expect(
        p.indexes.filter((i) => TENANT_WIDE.includes(i)),
        p.text,
      ).toEqual([]);
    }
    if (dialect === 'postgres') {
      expect(byIdentity?.indexes, byIdentity?.text).toContain('devices_identity_uq');
      expect(byKey?.indexes, byKey?.text).toContain('auth_sets_tenant_key_uq');
    }
  });
});

import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listDeploymentDevices,
  listDeploymentsOfDevice,
} from '../../src/deployments/deployments-repo-devices.js';
import { listAuthSets } from '../../src/devauth/devauth-repo-authsets.js';
import { countDevices as countByStatus } from '../../src/devauth/devauth-repo-devices.js';
import {
  countFoundDevices,
  findDevices,
  type SearchInventory,
} from '../../src/devauth/devauth-repo-search.js';
import type { DeviceFilter } from '../../src/devauth/devauth-types.js';
import type { Condition } from '../../src/inventory/inventory-filters.js';
import { createInventoryDeviceSql } from '../../src/inventory/inventory-repo-device-sql.js';
import {
  groupDeviceIds,
  listAcceptedDeviceIds,
  listGroups,
} from '../../src/inventory/inventory-repo-mgmt.js';
import {
  attributesOfDevices,
  countDevices as countInventoryDevices,
  type DeviceQuery,
  pageDevices,
} from '../../src/inventory/inventory-repo-query.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { Database } from '../../src/store/schema.js';
import { type Db, type Executor, openStore, type Store } from '../../src/store/store.js';
import { DEFAULT_TENANT_ID as T } from '../../src/tenants/index.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { analyzeFleet, fleetMac, type SeededFleet, seedFleet } from '../helpers/fleet-seed.js';
import { captureQueries } from '../helpers/query-capture.js';
import { explain, inRolledBackTransaction, type PlanFacts } from '../helpers/query-plans.js';

// Every query behind the device lists, counts, filters and searches of the management API
// (devauth, inventory, a deployment's devices), explained on both dialects over a seeded fleet:
// each reads the index made for it (migration 0012 and before), never a whole table or a whole
// index, and a page in list order is read in index order rather than sorted. Dropping any of
// those indexes makes a case fail (last test). The statements are the ones the code builds
// (captured, not copied), with real values. Not here: `q` as a substring of values, which reads
// the tenant's values by design and only in tenants of at most 10,000 devices (API tests).

const FLEET = 20_000;
const BIG_TABLES = new Set([
  'devices',
  'auth_sets',
  'inventory_attributes',
  'device_deployments',
  'device_counts',
]);
/** The indexes these queries depend on, by name (constraint indexes SQLite names itself are left out). */
const ourIndexes = (dialect: 'sqlite' | 'postgres') => [
  ...(dialect === 'postgres' ? ['inventory_attributes_short_value_idx'] : []),
  'devices_tenant_created_idx',
  'devices_tenant_status_idx',
  'auth_sets_tenant_key_uq',
  'inventory_attributes_value_idx',
  'inventory_attributes_search_idx',
  'device_deployments_status_device_idx',
  'device_deployments_device_idx',
];

interface Case {
  name: string;
  run: (db: Kysely<Database>) => Promise<unknown>;
  /** Each entry: one of these index names must be read (dialects name primary keys differently). */
  reads: string[][];
  /** A page in list order: its ids come from an index in that order, unsorted. */
  ordered?: boolean;
  /**
   * The index of the order the code chose (core/search-policy.ts pageReadOrder), walked with
   * each device tested against the id sets (store/id-sets.ts inIdSet), on both dialects.
   */
  alongReads?: string[][];
  /**
   * The attribute values are read from an index alone (SQLite: a covering index; PostgreSQL: an
   * index-only scan, of migration 0013's index of short values): a group of 10,000 devices is
   * then a range of index pages, not 10,000 table pages.
   */
  covered?: boolean;
  /**
   * Indexes it must not read: a query whose devices come by key (from id sets) that reads the
   * tenant's (tenant, ...) index walks all the tenant's devices, a scan in all but name.
   */
  avoids?: string[];
}

const TENANT_WALKS = ['devices_tenant_created_idx', 'devices_tenant_status_idx'];

const PK = {
  devices: ['devices_pkey', 'sqlite_autoindex_devices_1'],
  counts: ['device_counts_pk', 'sqlite_autoindex_device_counts_1'],
  groupCounts: ['group_counts_pk', 'sqlite_autoindex_group_counts_1'],
  attributes: ['inventory_attributes_pk', 'sqlite_autoindex_inventory_attributes_1'],
  authSetsByDevice: ['auth_sets_device_key_uq', 'sqlite_autoindex_auth_sets_2'],
};
/** Attribute values: 0012's index of value keys, or (PostgreSQL) 0013's of short values. */
const VALUE = ['inventory_attributes_value_idx', 'inventory_attributes_short_value_idx'];

const cases = (fleet: SeededFleet, deploymentId: string, db: Db): Case[] => {
  const inv: SearchInventory = { sql: createInventoryDeviceSql(db), match: 'prefix' };
  const page = { offset: 0, limit: 20, order: 'index' as const };
  const middle = fleet.devices[Math.floor(FLEET / 2)] as SeededFleet['devices'][number];
  const after = { createdAt: middle.createdAt, id: middle.id };
  const some = fleet.devices.slice(100, 103).map((d) => d.id);
  const fingerprint = fleet.devices.find((d) => d.fingerprint)?.fingerprint as string;
  const list = (
    name: string,
    f: DeviceFilter,
    reads: string[][],
    p: { offset?: number; after?: typeof after; order?: 'ids'; total?: number } = {},
    ordered = false,
  ): Case => ({
    name,
    run: (db) => findDevices(db, T, f, inv, { ...page, ...p }),
    reads,
    ordered,
    ...(p.order === 'ids' ? { avoids: TENANT_WALKS } : {}),
  });
  /** A filtered page read along an index (the order the code chose). */
  const along = (c: Case, index: string): Case => ({ ...c, alongReads: [[index]] });
  const count = (name: string, f: DeviceFilter, reads: string[][]): Case => ({
    name,
    run: (db) => countFoundDevices(db, T, f, inv),
    reads,
    // Counts by id sets look the devices up by key.
    ...(f.q || f.group || f.tag ? { avoids: TENANT_WALKS } : {}),
  });
  const group: Condition = {
    attr: { scope: 'system', name: 'group' },
    kind: 'in',
    negate: false,
    values: ['group-7'],
  };
  const hasTag: Condition = { attr: { scope: 'tags', name: 'site' }, kind: 'exists', negate: false };
  const query = (conditions: Condition[], readOrder?: 'ids' | 'index'): DeviceQuery => ({
    tenantId: T,
    conditions,
    idSets: [],
    keywords: [],
    ...(readOrder ? { readOrder } : {}),
  });
  const all: Case[] = [
    list('device list, first page', {}, [['devices_tenant_created_idx']], {}, true),
    list('device list, page 500', {}, [['devices_tenant_created_idx']], { offset: 10_000 }, true),
    list('device list after a cursor', {}, [['devices_tenant_created_idx']], { after }, true),
    // Past the middle, counted from the end: the same index, walked backwards, unsorted.
    list(
      'device list, a page near the end',
      {},
      [['devices_tenant_created_idx']],
      { offset: FLEET - 30, total: FLEET },
      true,
    ),
    list('device list by status', { statuses: ['pending'] }, [['devices_tenant_status_idx']], {}, true),
    list(
      'device list by status after a cursor',
      { statuses: ['accepted'] },
      [['devices_tenant_status_idx']],
      { after },
      true,
    ),
    {
      name: 'devices by status for max_devices and the tabs',
      run: (db) => countByStatus(db, T, 'accepted'),
      reads: [PK.counts],
    },
    count('device count, all', {}, [PK.counts]),
    count('device count by status', { statuses: ['pending', 'rejected'] }, [PK.counts]),
    along(
      list('device list by group, along the index', { group: 'group-7' }, [VALUE], {}, true),
      'devices_tenant_created_idx',
    ),
    along(
      list(
        'device list by group and status, along the index',
        { group: 'group-7', statuses: ['accepted'] },
        [VALUE],
        {},
        true,
      ),
      'devices_tenant_status_idx',
    ),
    list('device list by group, from the ids', { group: 'group-7' }, [VALUE, PK.devices], { order: 'ids' }),
    // A group alone or with statuses: the kept counts (migration 0014), not the members.
    count('device count by group', { group: 'group-7' }, [PK.groupCounts]),
    count('device count by group and status', { group: 'group-7', statuses: ['accepted'] }, [PK.groupCounts]),
    list(
      'device list by tag, from the ids',
      { tag: { name: 'site', value: 'site-3' } },
      [VALUE, PK.devices],
      { order: 'ids' },
    ),
    count('device count by tag', { tag: { name: 'site', value: 'site-3' } }, [VALUE]),
    count('device count with a tag', { tag: { name: 'site' } }, [VALUE]),
    list('search by device id prefix', { q: (middle.id as string).slice(0, 6) }, [PK.devices], {
      order: 'ids',
    }),
    count('search count by device id prefix', { q: (middle.id as string).slice(0, 6) }, [PK.devices]),
    count(
      'search count by value prefix and status',
      { q: fleetMac(1234).slice(0, 14), statuses: ['accepted'] },
      [['inventory_attributes_search_idx'], PK.devices],
    ),
    list(
      'search by fingerprint prefix',
      { q: fingerprint.slice(0, 10) },
      [['auth_sets_tenant_key_uq'], PK.devices],
      { order: 'ids' },
    ),
    list(
      'search by value prefix',
      { q: fleetMac(1234).slice(0, 14) },
      [['inventory_attributes_search_idx'], PK.devices],
      { order: 'ids' },
    ),
    count('search count by value prefix', { q: fleetMac(1234).slice(0, 14) }, [
      ['inventory_attributes_search_idx'],
    ]),
    list('device list by ids', { ids: some }, [PK.devices], { order: 'ids' }),
    { name: 'auth sets of a page', run: (db) => listAuthSets(db, some), reads: [PK.authSetsByDevice] },
    {
      name: 'inventory list, first page',
      run: (db) => pageDevices(db, query([]), [], 0, 20),
      reads: [['devices_tenant_created_idx']],
      ordered: true,
    },
    {
      name: 'inventory list, page 500',
      run: (db) => pageDevices(db, query([]), [], 10_000, 20),
      reads: [['devices_tenant_created_idx']],
      ordered: true,
    },
    {
      name: 'inventory count, all',
      run: (db) => countInventoryDevices(db, query([])),
      reads: [PK.counts],
    },
    along(
      {
        name: 'inventory list by group, along the index',
        run: (db) => pageDevices(db, query([group], 'index'), [], 0, 20),
        reads: [VALUE],
        ordered: true,
      },
      'devices_tenant_created_idx',
    ),
    {
      name: 'inventory list by group, from the ids',
      run: (db) => pageDevices(db, query([group], 'ids'), [], 0, 20),
      reads: [VALUE, PK.devices],
      avoids: TENANT_WALKS,
    },
    {
      name: 'inventory count by group',
      run: (db) => countInventoryDevices(db, query([group])),
      reads: [VALUE],
      avoids: TENANT_WALKS,
    },
    {
      name: 'inventory count with a tag',
      run: (db) => countInventoryDevices(db, query([hasTag])),
      reads: [VALUE],
      avoids: TENANT_WALKS,
    },
    {
      name: 'inventory attributes of a page',
      run: (db) => attributesOfDevices(db, T, some),
      reads: [PK.attributes],
      avoids: ['inventory_attributes_value_idx', 'inventory_attributes_search_idx'],
    },
    { name: 'inventory group names', run: (db) => listGroups(db, T), reads: [VALUE] },
    {
      name: 'inventory group members',
      run: (db) => groupDeviceIds(db, T, 'group-7', 0, 20),
      reads: [VALUE],
    },
    {
      name: 'accepted devices of a group, for a deployment',
      run: (db) => listAcceptedDeviceIds(db, T, { group: 'group-7' }),
      reads: [VALUE],
    },
    {
      name: "a deployment's devices by status",
      run: (db) => listDeploymentDevices(db, deploymentId, { status: ['pending'], offset: 0, limit: 20 }),
      reads: [['device_deployments_status_device_idx']],
    },
    {
      name: "a device's deployments",
      run: (db) => listDeploymentsOfDevice(db, T, middle.id, { offset: 0, limit: 20 }),
      reads: [['device_deployments_device_idx']],
    },
  ];
  return all.map((c) => (COVERED.has(c.name) ? { ...c, covered: true } : c));
};

/** Cases whose group or tag members come from an index alone (Case.covered). */
const COVERED = new Set([
  'device list by group, along the index',
  'device list by group and status, along the index',
  'device list by group, from the ids',
  'device list by tag, from the ids',
  'device count by tag',
  'device count with a tag',
  'inventory list by group, along the index',
  'inventory list by group, from the ids',
  'inventory count by group',
  'inventory count with a tag',
  'inventory group members',
  'accepted devices of a group, for a deployment',
]);

/** What is wrong with the plans of a case's statements (empty: nothing). */
const problemsOf = async (db: Executor, dialect: 'sqlite' | 'postgres', c: Case): Promise<string[]> => {
  const statements = await captureQueries(dialect, c.run);
  const plans: PlanFacts[] = [];
  for (const q of statements) plans.push(await explain(db, dialect, q, BIG_TABLES));
  const read = new Set(plans.flatMap((p) => p.indexes));
  const problems = [
    ...plans.flatMap((p) => p.fullScans.map((s) => `full scan: ${s}`)),
    ...[...c.reads, ...(c.alongReads ?? [])]
      .filter((any) => !any.some((i) => read.has(i)))
      .map((any) => `does not read ${any.join(' or ')}`),
    ...(c.avoids ?? []).filter((i) => read.has(i)).map((i) => `reads ${i}: all the tenant's rows`),
    ...(c.covered && !plans.some((p) => p.covering.some((i) => VALUE.includes(i)))
      ? ['reads attribute values from the table, not from an index alone']
      : []),
    ...(c.ordered && plans.some((p) => p.sortsPageIds)
      ? ['sorts the page ids instead of reading them in order']
      : []),
  ];
  return problems.length === 0
    ? []
    : [
        `${c.name}: ${problems.join('; ')}\n${statements.map((s) => s.sql).join('\n')}\n${plans.map((p) => p.text).join('\n')}`,
      ];
};

describe.each(dialects())('device query plans on %s', (dialect) => {
  let tdb: TestDatabase;
  let store: Store;
  let all: Case[];

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    store = openStore({ databaseUrl: tdb.url });
    await migrateToLatest(store.db);
    const fleet = await seedFleet(store, { tenantId: T, devices: FLEET });
    // Another tenant's devices share the indexes.
    const other = randomUUID();
    await store.db
      .insertInto('tenants')
      .values({ id: other, name: 'other', max_devices: -1, tenant_token_id: randomUUID(), created_at: 0 })
      .execute();
    await seedFleet(store, { tenantId: other, devices: 500 });
    const deploymentId = randomUUID();
    await store.db
      .insertInto('deployments')
      .values({
        id: deploymentId,
        tenant_id: T,
        name: 'd',
        artifact_name: 'release-2',
        status: 'inprogress',
        force_installation: 0,
        max_devices: FLEET,
        groups: '[]',
        constructor_sha256: randomUUID(),
        created_at: 0,
        finished_at: null,
      })
      .execute();
    const accepted = fleet.devices.filter((d) => d.status === 'accepted');
    for (let i = 0; i < accepted.length; i += 500) {
      await store.db
        .insertInto('device_deployments')
        .values(
          accepted.slice(i, i + 500).map((d, j) => ({
            deployment_id: deploymentId,
            device_id: d.id,
            tenant_id: T,
            status: (i + j) % 3 === 0 ? 'pending' : 'success',
            substate: null,
            is_active: (i + j) % 3 === 0 ? 1 : 0,
            artifact_id: null,
            provides: null,
            created_at: 0,
            started_at: null,
            finished_at: null,
            log_available: 0,
          })),
        )
        .execute();
    }
    await analyzeFleet(store);
    all = cases(fleet, deploymentId, store.db);
  }, 120_000);

  afterAll(async () => {
    await store?.destroy();
    await tdb?.drop();
  });

  it('reads an index made for each list, count, filter and search, and no table or index whole', async () => {
    const problems: string[] = [];
    await inRolledBackTransaction(store.db, dialect, async (tx) => {
      for (const c of all) problems.push(...(await problemsOf(tx, dialect, c)));
    });
    expect(problems, problems.join('\n\n')).toEqual([]);
    expect(all.length).toBeGreaterThan(30);
  });

  it.each(ourIndexes(dialect))('needs %s: without it, some case reads a table or sorts', async (index) => {
    const failing: string[] = [];
    await inRolledBackTransaction(store.db, dialect, async (tx) => {
      await tx.schema.dropIndex(index).execute();
      for (const c of all) if ((await problemsOf(tx, dialect, c)).length > 0) failing.push(c.name);
    });
    expect(failing.length, `cases that noticed ${index} missing`).toBeGreaterThan(0);
  });
});

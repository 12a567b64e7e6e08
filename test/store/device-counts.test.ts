import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { isAppError } from '../../src/core/errors.js';
import { isConcurrencyConflict } from '../../src/store/conflicts.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import * as m0012 from '../../src/store/migrations/0012-device-scale.js';
import * as m0014 from '../../src/store/migrations/0014-group-counts.js';
import type { Db } from '../../src/store/store.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { type Gatehouse, openGatehouse } from '../../src/wiring.js';
import { dialects } from '../helpers/databases.js';
import { authRequestBody, makeDeviceKeys, signBody } from '../helpers/device-client.js';
import { FLEET_STATUSES, seedFleet } from '../helpers/fleet-seed.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { migrationFixture } from '../helpers/migrated.js';
import { between, seededRandom, testSeed } from '../helpers/seeded.js';

// device_counts (migration 0012) and group_counts (0014) are kept by triggers, so they must equal
// count(*) per (tenant, status) and per (tenant, group, status) after anything that writes devices
// or group rows: admission, management, bulk actions, group assignments, decommissions, multi-row
// INSERTs as an importer sends them, raw INSERTs, UPDATEs and DELETEs, rolled back transactions,
// and all of it from two processes at once.

const NO_RATE_LIMITS = { authUnknownPerAddressPerMinute: '0', authUnknownPerTenantPerMinute: '0' };

type Counts = Record<string, number>;

const GROUPS = ['north', 'south', 'group-1'];

const actual = async (db: Db): Promise<Counts> => {
  const rows = await sql<{ tenant_id: string; status: string; n: number | string }>`
    select tenant_id, status, count(*) as n from devices group by tenant_id, status`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [`${r.tenant_id}/${r.status}`, Number(r.n)]));
};

const kept = async (db: Db): Promise<Counts> => {
  const rows = await sql<{ tenant_id: string; status: string; n: number | string }>`
    select tenant_id, status, sum(n) as n from device_counts group by tenant_id, status`.execute(db);
  return Object.fromEntries(
    rows.rows.filter((r) => Number(r.n) !== 0).map((r) => [`${r.tenant_id}/${r.status}`, Number(r.n)]),
  );
};

/** Devices per (tenant, group, status), counted from the group rows and their devices. */
const actualGroups = async (db: Db): Promise<Counts> => {
  const rows = await sql<{ tenant_id: string; value: string; status: string; n: number | string }>`
    select a.tenant_id, a.value, d.status, count(*) as n
    from inventory_attributes a join devices d on d.id = a.device_id
    where a.scope = 'system' and a.name = 'group' group by a.tenant_id, a.value, d.status`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [`${r.tenant_id}/${r.value}/${r.status}`, Number(r.n)]));
};

const keptGroups = async (db: Db): Promise<Counts> => {
  const rows = await sql<{ tenant_id: string; group_value: string; status: string; n: number | string }>`
    select tenant_id, group_value, status, sum(n) as n from group_counts
    group by tenant_id, group_value, status`.execute(db);
  return Object.fromEntries(
    rows.rows
      .filter((r) => Number(r.n) !== 0)
      .map((r) => [`${r.tenant_id}/${r.group_value}/${r.status}`, Number(r.n)]),
  );
};

const expectExact = async (db: Db, when: string) => {
  const want = await actual(db);
  expect(await kept(db), `device_counts after ${when}`).toEqual(want);
  expect(await keptGroups(db), `group_counts after ${when}`).toEqual(await actualGroups(db));
  return want;
};

/** Random device operations through the services (and SQL), each allowed to fail as the API would. */
const operations = (gh: Gatehouse, tenants: { id: string; token: string }[], random: () => number) => {
  const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(random() * xs.length)];
  const tenantOf = () => pick(tenants) as { id: string; token: string };
  const devicesOf = async (tenantId: string) =>
    gh.store.db.selectFrom('devices').select(['id', 'status']).where('tenant_id', '=', tenantId).execute();
  const authSetsOf = async (deviceId: string) =>
    gh.store.db.selectFrom('auth_sets').select(['id', 'status']).where('device_id', '=', deviceId).execute();
  const someDevice = async (tenantId: string) => pick(await devicesOf(tenantId));

  const ops: Record<string, () => Promise<unknown>> = {
    async knock() {
      const t = tenantOf();
      const keys = makeDeviceKeys();
      const body = authRequestBody({ mac: randomUUID() }, keys.publicPem, t.token);
      await gh.devauth.device.authenticate({ body, signature: signBody(keys, body), bearer: t.token });
    },
    async preauthorize() {
      await gh.devauth.admin.preauthorize(tenantOf().id, {
        identityData: { serial: randomUUID() },
        pubkey: makeDeviceKeys().publicPem,
      });
    },
    async setStatus() {
      const t = tenantOf();
      const d = await someDevice(t.id);
      const a = d && pick(await authSetsOf(d.id));
      if (d && a)
        await gh.devauth.admin.setAuthSetStatus(
          t.id,
          d.id,
          a.id,
          pick(['accepted', 'rejected', 'pending']) as string,
        );
    },
    async deleteAuthSet() {
      const t = tenantOf();
      const d = await someDevice(t.id);
      const a = d && pick(await authSetsOf(d.id));
      if (d && a) await gh.devauth.admin.deleteAuthSet(t.id, d.id, a.id);
    },
    async decommission() {
      const t = tenantOf();
      const d = await someDevice(t.id);
      if (d) await gh.devauth.admin.decommission(t.id, d.id);
    },
    async bulk() {
      const t = tenantOf();
      await gh.devauth.admin.bulk(t.id, {
        action: pick(['accept', 'reject', 'dismiss']) as 'accept',
        filter: { statuses: [pick(['pending', 'accepted', 'preauthorized']) as 'pending'] },
      });
    },
    async setGroup() {
      const t = tenantOf();
      const d = await someDevice(t.id);
      if (d) await gh.inventory.admin.setGroup(t.id, d.id, pick(GROUPS) as string);
    },
    async addToGroup() {
      const t = tenantOf();
      const ids = (await devicesOf(t.id)).filter(() => random() < 0.3).map((d) => d.id);
      if (ids.length > 0) await gh.inventory.admin.addToGroup(t.id, pick(GROUPS) as string, ids);
    },
    async removeGroup() {
      const t = tenantOf();
      const d = await someDevice(t.id);
      const group = d && (await gh.inventory.admin.getGroup(t.id, d.id));
      if (d && group) await gh.inventory.admin.unsetGroup(t.id, d.id, group);
    },
    async deleteGroup() {
      await gh.inventory.admin.deleteGroup(tenantOf().id, pick(GROUPS) as string);
    },
    async rawGroupRows() {
      // Group rows written, moved and deleted by hand: the triggers count whatever writes.
      const t = tenantOf();
      const [a, b] = [await someDevice(t.id), await someDevice(t.id)];
      if (!a || !b) return;
      await gh.store.db.transaction().execute(async (tx) => {
        const now = Date.now();
        await tx
          .insertInto('inventory_attributes')
          .values({
            tenant_id: t.id,
            device_id: a.id,
            scope: 'system',
            name: 'group',
            value: '"raw"',
            updated_at: now,
          })
          .onConflict((oc) => oc.columns(['device_id', 'scope', 'name']).doUpdateSet({ value: '"raw-2"' }))
          .execute();
        // Unchanged values, and other attributes, count for nothing.
        await tx
          .updateTable('inventory_attributes')
          .set({ updated_at: now + 1 })
          .where('device_id', '=', a.id)
          .execute();
        if (a.id !== b.id && random() < 0.5) {
          await tx
            .deleteFrom('inventory_attributes')
            .where('device_id', '=', b.id)
            .where('scope', '=', 'system')
            .execute();
          // The row moves to another device (and back into the group scope when it was not one).
          await tx
            .updateTable('inventory_attributes')
            .set({ device_id: b.id })
            .where('device_id', '=', a.id)
            .where('scope', '=', 'system')
            .execute();
        } else if (random() < 0.5) {
          await tx
            .deleteFrom('inventory_attributes')
            .where('device_id', '=', a.id)
            .where('scope', '=', 'system')
            .execute();
        }
      });
    },
    async importRows() {
      // Multi-row INSERTs, as a bulk importer writes devices (not through the services).
      await seedFleet(gh.store, {
        tenantId: tenantOf().id,
        devices: between(random, 1, 40),
        first: between(random, 0, 2 ** 30),
      });
    },
    async rawUpdate() {
      const t = tenantOf();
      const ids = (await devicesOf(t.id)).filter(() => random() < 0.3).map((d) => d.id);
      if (ids.length === 0) return;
      const status = pick([...FLEET_STATUSES]) as string;
      // In transactions, as every writer of ours (SQLite: BEGIN IMMEDIATE waits for the writer).
      await gh.store.db.transaction().execute(async (tx) => {
        await tx.updateTable('devices').set({ status }).where('id', 'in', ids).execute();
        // Changes that leave the status alone count for nothing.
        await tx.updateTable('devices').set({ check_in_at: Date.now() }).where('id', 'in', ids).execute();
        await tx
          .updateTable('devices')
          .set((eb) => ({ status: eb.ref('status') }))
          .where('id', 'in', ids)
          .execute();
      });
    },
    async rawDelete() {
      const t = tenantOf();
      const ids = (await devicesOf(t.id)).filter(() => random() < 0.1).map((d) => d.id);
      if (ids.length > 0)
        await gh.store.db
          .transaction()
          .execute((tx) => tx.deleteFrom('devices').where('id', 'in', ids).execute());
    },
    async rolledBack() {
      const t = tenantOf();
      await gh.store.db
        .transaction()
        .execute(async (tx) => {
          const now = Date.now();
          const id = randomUUID();
          await tx
            .insertInto('devices')
            .values({
              id,
              tenant_id: t.id,
              id_data: `{"rollback":"${id}"}`,
              id_data_sha256: id,
              status: 'pending',
              created_at: now,
              updated_at: now,
              check_in_at: null,
            })
            .execute();
          await tx.updateTable('devices').set({ status: 'accepted' }).where('id', '=', id).execute();
          throw new Error('roll back');
        })
        .catch(() => {});
    },
  };
  const names = Object.keys(ops);
  return async (): Promise<string> => {
    const name = pick(names) as string;
    try {
      await ops[name]?.();
    } catch (e) {
      // Refusals (limits, races between the two processes) are answers, not failures; so is a
      // deadlock or a duplicate key between the raw multi-device writes (which lock in no particular order) and
      // the services' (which lock devices in id order): PostgreSQL rolls one back whole.
      if (!isAppError(e) && !isConcurrencyConflict(e)) throw e;
    }
    return name;
  };
};

describe.each(dialects())('device_counts on %s', (dialect) => {
  let t: TestServer;
  let second: Gatehouse;
  let tenants: { id: string; token: string }[];

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: NO_RATE_LIMITS });
    // A second process on the same database.
    second = await openGatehouse(
      loadConfig({ dataDir: t.db.dataDir, databaseUrl: t.db.url, ...NO_RATE_LIMITS }, {}),
    );
    const other = await t.gh.tenants.service.create({ name: 'counts-other', maxDevices: 15 });
    tenants = [
      { id: DEFAULT_TENANT_ID, token: '' },
      { id: other.tenant.id, token: other.tenantToken },
    ];
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  it('equal count(*) per tenant and status after every one of a random mix of operations', async () => {
    const random = seededRandom(testSeed(`device counts on ${dialect}`));
    const next = operations(t.gh, tenants, random);
    // The statuses devices had along the way (a mix may end with fewer, after decommissions).
    const statuses = new Set<string | undefined>();
    for (let i = 0; i < 60; i++) {
      const op = await next();
      await expectExact(t.gh.store.db, `${op} (step ${i})`);
      for (const k of Object.keys(await actual(t.gh.store.db))) statuses.add(k.split('/')[1]);
    }
    // The mix wrote devices in several statuses.
    expect(statuses.size).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('equal count(*) after the same mix from concurrent requests (on PostgreSQL, of two processes)', async () => {
    const random = seededRandom(testSeed(`concurrent device counts on ${dialect}`));
    // Two SQLite connections in one Node process cannot write concurrently: one waits for the
    // write lock synchronously, blocking the event loop the holder needs to commit. SQLite's
    // writers are serialised anyway (BEGIN IMMEDIATE); test/race runs them as two processes.
    const processes = dialect === 'postgres' ? [t.gh, second] : [t.gh];
    const workers = processes.flatMap((gh) => [0, 1, 2, 3].map(() => operations(gh, tenants, random)));
    const done = await Promise.allSettled(
      workers.map(async (next) => {
        for (let i = 0; i < 15; i++) await next();
      }),
    );
    for (const r of done) if (r.status === 'rejected') throw r.reason;
    await expectExact(t.gh.store.db, 'the concurrent mix');
  }, 180_000);

  it('are what max_devices, devices/count and X-Total-Count read', async () => {
    const [, other] = tenants as [unknown, { id: string }];
    // Counts of the tenant's devices by status come from device_counts, not from the devices:
    // a count row written by hand shows (and is put back right after).
    const before = await t.gh.devauth.admin.countDevices(other.id, 'accepted');
    await t.gh.store.db
      .insertInto('device_counts')
      .values({ tenant_id: other.id, status: 'accepted', slot: 999, n: 1000 })
      .execute();
    try {
      expect(await t.gh.devauth.admin.countDevices(other.id, 'accepted')).toBe(before + 1000);
      expect(await t.gh.devauth.admin.countDevices(other.id, { statuses: ['accepted'] })).toBe(before + 1000);
      const listed = await t.gh.devauth.admin.listDevices(other.id, {
        statuses: ['accepted'],
        page: { page: 1, perPage: 1 },
      });
      expect(listed.total).toBe(before + 1000);
      // max_devices (15) is reached as far as the counts say: the next accept is refused.
      await t.gh.devauth.admin.preauthorize(other.id, {
        identityData: { limit: randomUUID() },
        pubkey: makeDeviceKeys().publicPem,
      });
      // An auth set whose accept would add an accepted device (not a second key of one).
      const pending = await t.gh.store.db
        .selectFrom('auth_sets')
        .innerJoin('devices', 'devices.id', 'auth_sets.device_id')
        .select(['auth_sets.id', 'auth_sets.device_id'])
        .where('auth_sets.tenant_id', '=', other.id)
        .where('auth_sets.status', 'in', ['pending', 'rejected'])
        .where('devices.status', '<>', 'accepted')
        .executeTakeFirst();
      if (pending)
        await expect(
          t.gh.devauth.admin.setAuthSetStatus(other.id, pending.device_id, pending.id, 'accepted'),
        ).rejects.toMatchObject({ code: 'DEVAUTH_LIMIT_REACHED' });
    } finally {
      await t.gh.store.db.deleteFrom('device_counts').where('slot', '=', 999).execute();
    }
    expect(await t.gh.devauth.admin.countDevices(other.id, 'accepted')).toBe(before);
  });

  it('are what the total of a group filter (with statuses) reads', async () => {
    const [, other] = tenants as [unknown, { id: string }];
    const filter = { group: 'north', statuses: ['accepted' as const] };
    const total = async () =>
      (await t.gh.devauth.admin.listDevices(other.id, { ...filter, page: { page: 1, perPage: 1 } })).total;
    const before = await total();
    await t.gh.store.db
      .insertInto('group_counts')
      .values({ tenant_id: other.id, group_value: '"north"', status: 'accepted', slot: 999, n: 500 })
      .execute();
    try {
      expect(await total()).toBe(before + 500);
      expect(await t.gh.devauth.admin.countDevices(other.id, filter)).toBe(before + 500);
      // Another status is another row.
      expect(
        await t.gh.devauth.admin.countDevices(other.id, { group: 'north', statuses: ['pending'] }),
      ).toBeLessThan(500);
    } finally {
      await t.gh.store.db.deleteFrom('group_counts').where('slot', '=', 999).execute();
    }
    expect(await total()).toBe(before);
  });
});

describe.each(dialects())('migration 0012 on %s', (dialect) => {
  const { migratedTo } = migrationFixture(dialect);
  it('counts the devices that exist before it, and running it again changes nothing', async () => {
    const db = await migratedTo('0010-flood-limits');
    const tenant = randomUUID();
    await db
      .insertInto('tenants')
      .values({ id: tenant, name: 't', max_devices: -1, tenant_token_id: randomUUID(), created_at: 0 })
      .execute();
    const now = Date.now();
    await db
      .insertInto('devices')
      .values(
        ['pending', 'pending', 'accepted', 'noauth'].map((status, i) => ({
          id: randomUUID(),
          tenant_id: i < 3 ? tenant : DEFAULT_TENANT_ID,
          id_data: `{"i":${i}}`,
          id_data_sha256: `h${i}`,
          status,
          created_at: now,
          updated_at: now,
          check_in_at: null,
        })),
      )
      .execute();
    await migrateToLatest(db);
    const want = await expectExact(db, 'migrating');
    expect(want).toEqual({
      [`${tenant}/pending`]: 2,
      [`${tenant}/accepted`]: 1,
      [`${DEFAULT_TENANT_ID}/noauth`]: 1,
    });
    await m0012.up(db);
    await expectExact(db, 'running 0012 again');
    await db.updateTable('devices').set({ status: 'rejected' }).where('tenant_id', '=', tenant).execute();
    expect(await expectExact(db, 'an update after the second run')).toEqual({
      [`${tenant}/rejected`]: 3,
      [`${DEFAULT_TENANT_ID}/noauth`]: 1,
    });
  });
});

describe.each(dialects())('migration 0014 on %s', (dialect) => {
  const { migratedTo } = migrationFixture(dialect);
  it('counts the group members that exist before it, and running it again changes nothing', async () => {
    const db = await migratedTo('0013-covering-values');
    const now = Date.now();
    const devices = ['pending', 'accepted', 'accepted', 'rejected'].map((status, i) => ({
      id: randomUUID(),
      tenant_id: DEFAULT_TENANT_ID,
      id_data: `{"i":${i}}`,
      id_data_sha256: `h${i}`,
      status,
      created_at: now,
      updated_at: now,
      check_in_at: null,
    }));
    await db.insertInto('devices').values(devices).execute();
    const groupRow = (deviceId: string, group: string) => ({
      tenant_id: DEFAULT_TENANT_ID,
      device_id: deviceId,
      scope: 'system',
      name: 'group',
      value: JSON.stringify(group),
      updated_at: now,
    });
    const [d0, d1, d2] = devices.map((d) => d.id) as [string, string, string];
    await db
      .insertInto('inventory_attributes')
      .values([groupRow(d0, 'north'), groupRow(d1, 'north'), groupRow(d2, 'south')])
      .execute();
    await migrateToLatest(db);
    await expectExact(db, 'migrating');
    const g = (group: string, status: string) => `${DEFAULT_TENANT_ID}/${JSON.stringify(group)}/${status}`;
    expect(await keptGroups(db)).toEqual({
      [g('north', 'pending')]: 1,
      [g('north', 'accepted')]: 1,
      [g('south', 'accepted')]: 1,
    });
    await m0014.up(db);
    await expectExact(db, 'running 0014 again');
    await db.updateTable('devices').set({ status: 'rejected' }).where('id', '=', d0).execute();
    await db.deleteFrom('devices').where('id', '=', d2).execute();
    expect(await keptGroups(db)).toEqual({
      [g('north', 'rejected')]: 1,
      [g('north', 'accepted')]: 1,
    });
    await expectExact(db, 'an update and a delete after the second run');
  });
});

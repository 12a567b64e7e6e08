import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import { type Db, isUniqueViolation } from '../../src/store/store.js';
import { dialects } from '../helpers/databases.js';
import { migrationFixture, uuid } from '../helpers/migrated.js';

/**
 * Migration 0009 (docs/adr/0013-database-invariants.md) on a database that already broke the
 * invariants it declares, as races on PostgreSQL left them before: built on the schema of 0007
 * (the last migration without them), then migrated to the latest.
 */
const T1 = '00000000-0000-4000-8000-000000000000';
const T2 = '00000000-0000-4000-8000-0000000000a2';

describe.each(dialects())('migration 0009 resolves existing duplicates on %s', (dialect) => {
  const { migratedTo } = migrationFixture(dialect);

  const device = (db: Db, id: string, status: string, tenantId = T1) =>
    db
      .insertInto('devices')
      .values({
        id,
        tenant_id: tenantId,
        id_data: JSON.stringify({ mac: id }),
        id_data_sha256: `sha-${id}`,
        status,
        created_at: 1000,
        updated_at: 1000,
        check_in_at: null,
      })
      .execute();
  const authSet = (
    db: Db,
    a: { id: string; device: string; key: string; status: string; created: number; updated?: number },
    tenantId = T1,
  ) =>
    db
      .insertInto('auth_sets')
      .values({
        id: a.id,
        tenant_id: tenantId,
        device_id: a.device,
        pubkey: `pem-${a.key}`,
        pubkey_sha256: a.key,
        key_type: 'ed25519',
        status: a.status,
        created_at: a.created,
        updated_at: a.updated ?? a.created,
      })
      .execute();
  const token = (db: Db, id: string, deviceId: string, authSetId: string) =>
    db
      .insertInto('device_tokens')
      .values({
        id,
        tenant_id: T1,
        device_id: deviceId,
        auth_set_id: authSetId,
        expires_at: 9e12,
        created_at: 1000,
      })
      .execute();
  const statusAttribute = (db: Db, deviceId: string, status: string) =>
    db
      .insertInto('inventory_attributes')
      .values({
        tenant_id: T1,
        device_id: deviceId,
        scope: 'identity',
        name: 'status',
        value: JSON.stringify(status),
        description: null,
        updated_at: 1000,
      })
      .execute();
  const deployment = (db: Db, id: string, sha: string, created: number, status: string) =>
    db
      .insertInto('deployments')
      .values({
        id,
        tenant_id: T1,
        name: 'rollout',
        artifact_name: 'release-1',
        status,
        force_installation: 0,
        max_devices: 1,
        groups: '[]',
        constructor_sha256: sha,
        created_at: created,
        finished_at: status === 'finished' ? created + 1 : null,
      })
      .execute();

  it('keeps the strongest auth set of a shared key, one accepted set per device, and records it all', async () => {
    const db = await migratedTo('0007-enrollment');
    await db
      .insertInto('tenants')
      .values({ id: T2, name: 'other', max_devices: -1, tenant_token_id: uuid(999), created_at: 1 })
      .execute();
    // Key K in tenant 1: pending (oldest) on d1, accepted on d2, preauthorized on d3, rejected on d4.
    const [d1, d2, d3, d4, d5, d6] = [1, 2, 3, 4, 5, 6].map((n) => uuid(0x100 + n)) as string[];
    for (const [id, status] of [
      [d1, 'pending'],
      [d2, 'accepted'],
      [d3, 'pending'],
      [d4, 'rejected'],
      [d5, 'accepted'],
    ] as const)
      await device(db, id as string, status);
    await device(db, d6 as string, 'pending', T2);
    const s = (n: number) => uuid(0x200 + n);
    await authSet(db, { id: s(1), device: d1 as string, key: 'K', status: 'pending', created: 10 });
    await authSet(db, { id: s(2), device: d2 as string, key: 'K', status: 'accepted', created: 20 });
    await authSet(db, { id: s(3), device: d3 as string, key: 'K', status: 'preauthorized', created: 15 });
    await authSet(db, { id: s(4), device: d4 as string, key: 'K', status: 'rejected', created: 5 });
    await authSet(db, { id: s(5), device: d3 as string, key: 'K3', status: 'pending', created: 30 });
    // d5: two accepted auth sets, s7 updated last.
    await authSet(db, {
      id: s(6),
      device: d5 as string,
      key: 'K5a',
      status: 'accepted',
      created: 40,
      updated: 90,
    });
    await authSet(db, {
      id: s(7),
      device: d5 as string,
      key: 'K5b',
      status: 'accepted',
      created: 50,
      updated: 95,
    });
    // Key K in tenant 2 belongs to that tenant alone: untouched.
    await authSet(db, { id: s(8), device: d6 as string, key: 'K', status: 'pending', created: 1 }, T2);
    await token(db, uuid(0x301), d2 as string, s(2));
    await token(db, uuid(0x302), d1 as string, s(1));
    await token(db, uuid(0x306), d5 as string, s(6));
    await token(db, uuid(0x307), d5 as string, s(7));
    await statusAttribute(db, d1 as string, 'pending');
    await statusAttribute(db, d2 as string, 'accepted');
    // Three deployments of one constructor: two unfinished, one finished.
    await deployment(db, uuid(0x401), 'C', 100, 'inprogress');
    await deployment(db, uuid(0x402), 'C', 200, 'pending');
    await deployment(db, uuid(0x403), 'C', 50, 'finished');
    await deployment(db, uuid(0x404), 'D', 300, 'pending');

    expect(await migrateToLatest(db)).toContain('0009-invariants');

    const sets = await db.selectFrom('auth_sets').select(['id', 'status']).orderBy('id').execute();
    expect(sets).toEqual([
      { id: s(2), status: 'accepted' },
      { id: s(5), status: 'pending' },
      { id: s(6), status: 'rejected' },
      { id: s(7), status: 'accepted' },
      { id: s(8), status: 'pending' },
    ]);
    const tokens = (await db.selectFrom('device_tokens').select('id').orderBy('id').execute()).map(
      (r) => r.id,
    );
    expect(tokens).toEqual([uuid(0x301), uuid(0x307)]);
    const devices = Object.fromEntries(
      (await db.selectFrom('devices').select(['id', 'status']).execute()).map((r) => [r.id, r.status]),
    );
    expect(devices).toEqual({
      [d1 as string]: 'noauth',
      [d2 as string]: 'accepted',
      [d3 as string]: 'pending',
      [d4 as string]: 'noauth',
      [d5 as string]: 'accepted',
      [d6 as string]: 'pending',
    });
    const attr = await db
      .selectFrom('inventory_attributes')
      .select(['device_id', 'value'])
      .orderBy('device_id')
      .execute();
    expect(attr).toEqual([
      { device_id: d1, value: '"noauth"' },
      { device_id: d2, value: '"accepted"' },
    ]);

    const events = await db.selectFrom('events').selectAll().orderBy('id').execute();
    const summary = events.map((e) => ({ type: e.type, device: e.device_id, ...JSON.parse(e.payload) }));
    expect(summary).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'device.authset_deleted',
          device: d3,
          auth_set_id: s(3),
          previous_status: 'preauthorized',
          reason: 'duplicate_key',
          kept_auth_set_id: s(2),
          kept_device_id: d2,
          migration: '0009-invariants',
        }),
        expect.objectContaining({ type: 'device.authset_deleted', device: d1, auth_set_id: s(1) }),
        expect.objectContaining({ type: 'device.authset_deleted', device: d4, auth_set_id: s(4) }),
        expect.objectContaining({
          type: 'device.rejected',
          device: d5,
          auth_set_id: s(6),
          previous_status: 'accepted',
          reason: 'duplicate_accepted',
          kept_auth_set_id: s(7),
        }),
      ]),
    );
    expect(events).toHaveLength(4);
    // Unfanned: webhooks deliver them like any other event.
    expect(events.every((e) => e.fanned_out_at === null)).toBe(true);

    const deployments = Object.fromEntries(
      (await db.selectFrom('deployments').select(['id', 'constructor_sha256', 'status']).execute()).map(
        (r) => [r.id, `${r.constructor_sha256}/${r.status}`],
      ),
    );
    expect(deployments).toEqual({
      [uuid(0x401)]: 'C/inprogress',
      [uuid(0x402)]: `C:duplicate:${uuid(0x402)}/pending`,
      [uuid(0x403)]: 'C/finished',
      [uuid(0x404)]: 'D/pending',
    });
  });

  it('then refuses every new duplicate with a unique violation', async () => {
    const db = await migratedTo('0007-enrollment');
    await migrateToLatest(db);
    const [d1, d2] = [uuid(1), uuid(2)] as [string, string];
    await device(db, d1, 'accepted');
    await device(db, d2, 'pending');
    await authSet(db, { id: uuid(11), device: d1, key: 'K', status: 'accepted', created: 1 });
    const refused = async (p: Promise<unknown>) => {
      const e = await p.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isUniqueViolation(e), String(e)).toBe(true);
    };
    await refused(authSet(db, { id: uuid(12), device: d2, key: 'K', status: 'pending', created: 2 }));
    await refused(authSet(db, { id: uuid(13), device: d1, key: 'K2', status: 'accepted', created: 3 }));
    // A second accepted set is fine once the first is no longer accepted; rejected ones may pile up.
    await authSet(db, { id: uuid(14), device: d1, key: 'K3', status: 'rejected', created: 4 });
    await authSet(db, { id: uuid(15), device: d1, key: 'K4', status: 'rejected', created: 5 });
    await deployment(db, uuid(21), 'C', 1, 'pending');
    await refused(deployment(db, uuid(22), 'C', 2, 'inprogress'));
    await deployment(db, uuid(23), 'C', 3, 'finished');
  });

  it('is a no-op on a clean database, and on a second run', async () => {
    const db = await migratedTo('0007-enrollment');
    await device(db, uuid(1), 'accepted');
    await authSet(db, { id: uuid(11), device: uuid(1), key: 'K', status: 'accepted', created: 1 });
    await migrateToLatest(db);
    expect(await db.selectFrom('events').selectAll().execute()).toEqual([]);
    expect(await db.selectFrom('auth_sets').select('status').execute()).toEqual([{ status: 'accepted' }]);
    // Run the migration's body again (as after a crash before its bookkeeping row was written).
    const m = await import('../../src/store/migrations/0009-invariants.js');
    await m.up(db);
    expect(await db.selectFrom('events').selectAll().execute()).toEqual([]);
  });
});

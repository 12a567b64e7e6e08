import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import * as m0017 from '../../src/store/migrations/0017-deployment-size.js';
import type { Db } from '../../src/store/store.js';
import { dialects } from '../helpers/databases.js';
import { migrationFixture, uuid } from '../helpers/migrated.js';

/**
 * Migration 0017 on a database of 0016: each existing deployment's total_size is counted once
 * from its device rows, the size of the artifact each device was handed, except devices that
 * already had it (already-installed) and devices never handed one; an artifact deleted since
 * counts nothing. Later deployments start at 0.
 */
const T1 = '00000000-0000-4000-8000-000000000000';

describe.each(dialects())('migration 0017 counts deployment sizes on %s', (dialect) => {
  const { migratedTo } = migrationFixture(dialect);

  const artifact = (db: Db, n: number, size: number) =>
    db
      .insertInto('artifacts')
      .values({
        id: uuid(0x100 + n),
        tenant_id: T1,
        name: `a-${n}`,
        description: '',
        device_types: '["qemu"]',
        info: '{}',
        signed: 0,
        updates: '[]',
        provides: '{}',
        depends: '{}',
        clears_provides: '[]',
        size,
        blob_key: `artifacts/${n}`,
        created_at: 1000,
        modified_at: 1000,
      })
      .execute();

  const deployment = (db: Db, n: number) =>
    db
      .insertInto('deployments')
      // `total_size` does not exist yet at 0016.
      .values({
        id: uuid(0x200 + n),
        tenant_id: T1,
        name: `d-${n}`,
        artifact_name: 'a',
        status: 'inprogress',
        force_installation: 0,
        max_devices: 9,
        groups: '[]',
        constructor_sha256: `sha-${n}`,
        created_at: 1000,
        finished_at: null,
      } as never)
      .execute();

  const handed = (db: Db, dep: number, dev: number, status: string, art: number | null) =>
    db
      .insertInto('device_deployments')
      .values({
        deployment_id: uuid(0x200 + dep),
        device_id: uuid(0x300 + dev),
        tenant_id: T1,
        status,
        substate: null,
        is_active: status === 'success' || status === 'already-installed' ? 0 : 1,
        artifact_id: art === null ? null : uuid(0x100 + art),
        provides: null,
        created_at: 1000,
        started_at: null,
        finished_at: null,
        log_available: 0,
      })
      .execute();

  it('sums the artifacts handed out, per deployment, once', async () => {
    const db = await migratedTo('0016-bootstrap-hold');
    await artifact(db, 1, 1000);
    await artifact(db, 2, 70_000_000_000); // beyond 32 bits
    for (const n of [1, 2, 3]) await deployment(db, n);
    // Deployment 1: two devices downloading artifact 1, one that already had it, one not yet served.
    await handed(db, 1, 1, 'downloading', 1);
    await handed(db, 1, 2, 'success', 1);
    await handed(db, 1, 3, 'already-installed', 1);
    await handed(db, 1, 4, 'pending', null);
    // Deployment 2: the big artifact, and one handed an artifact deleted since.
    await handed(db, 2, 1, 'installing', 2);
    await handed(db, 2, 5, 'failure', 9);
    // Deployment 3: nobody served yet.
    await handed(db, 3, 1, 'pending', null);

    expect(await migrateToLatest(db)).toContain('0017-deployment-size');
    const sizes = async () =>
      (await db.selectFrom('deployments').select(['id', 'total_size']).orderBy('id').execute()).map((r) =>
        Number(r.total_size),
      );
    expect(await sizes()).toEqual([2000, 70_000_000_000, 0]);

    // Idempotent: run again on a database already at 0017, nothing is counted twice.
    await m0017.up(db);
    expect(await sizes()).toEqual([2000, 70_000_000_000, 0]);

    // A deployment created after it starts at 0.
    await deployment(db, 4);
    expect((await sizes())[3]).toBe(0);
  });
});

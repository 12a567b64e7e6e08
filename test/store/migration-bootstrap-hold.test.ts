import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/store/migrate.js';
import * as m0016 from '../../src/store/migrations/0016-bootstrap-hold.js';
import type { Db } from '../../src/store/store.js';
import { dialects } from '../helpers/databases.js';
import { migrationFixture, uuid } from '../helpers/migrated.js';

/**
 * Migration 0016 (docs/adr/0008-bootstrap.md, "Holding a config") on a database of 0015, where a
 * disabled config (state 0) delivered nothing: after the upgrade it is held, so it still delivers
 * nothing, while `state` keeps saying what it says about connections. Enrollment templates that
 * created disabled configs now create held ones.
 */
const T1 = '00000000-0000-4000-8000-000000000000';

describe.each(dialects())('migration 0016 keeps disabled configs from delivering on %s', (dialect) => {
  const { migratedTo } = migrationFixture(dialect);

  const config = (db: Db, n: number, state: number) =>
    db
      .insertInto('bootstrap_configs')
      // `held` does not exist yet at 0015.
      .values({
        id: uuid(n),
        tenant_id: T1,
        external_id: `eid-${n}`,
        external_key_hash: `h-${n}`,
        external_key_sealed: `s-${n}`,
        client_secret_hash: `ch-${n}`,
        client_secret_sealed: `cs-${n}`,
        client_key_sealed: null,
        client_cert: null,
        ca_cert: null,
        name: null,
        content: null,
        content_template: 'none',
        state,
        device_id: null,
        created_at: 1000,
        updated_at: 1000,
      } as never)
      .execute();

  const group = (db: Db, n: number, bootstrap: Record<string, unknown> | null) =>
    db
      .insertInto('enrollment_groups')
      .values({
        id: uuid(0x200 + n),
        tenant_id: T1,
        name: `group-${n}`,
        ca_id: uuid(0x100 + n),
        enabled: 1,
        identity_attribute: 'cn',
        identity_source: 'cn',
        inventory_group: null,
        tags: '{}',
        bootstrap: bootstrap === null ? null : JSON.stringify(bootstrap),
        allocation_webhook_id: null,
        created_at: 1000,
        updated_at: 1000,
      })
      .execute();

  const ca = (db: Db, n: number) =>
    db
      .insertInto('pki_cas')
      .values({
        id: uuid(0x100 + n),
        tenant_id: T1,
        kind: 'external',
        name: null,
        cert_pem: 'pem',
        fingerprint: `fp-${n}`,
        subject: 'CN=ca',
        subject_hash: `sh-${n}`,
        issuer: 'CN=ca',
        serial: `${n}`,
        not_before: 0,
        not_after: 9e12,
        status: 'verified',
        enabled: 1,
        verification_code: null,
        verification_code_expires_at: null,
        verified_at: null,
        private_key_sealed: null,
        cert_validity_days: null,
        crl_der: null,
        crl_this_update: null,
        crl_next_update: null,
        created_at: 1000,
        updated_at: 1000,
      })
      .execute();

  it('holds every state-0 config, leaves enabled ones delivering, and rewrites enrollment templates', async () => {
    const db = await migratedTo('0015-ui-state');
    await config(db, 1, 0);
    await config(db, 2, 1);
    await config(db, 3, 0);
    for (const n of [1, 2, 3]) await ca(db, n);
    await group(db, 1, { content: 'a', content_template: 'none', channels: [], active: false });
    await group(db, 2, { content: 'b', content_template: 'none', channels: [], active: true });
    await group(db, 3, null);

    expect(await migrateToLatest(db)).toContain('0016-bootstrap-hold');

    const rows = await db
      .selectFrom('bootstrap_configs')
      .select(['id', 'state', 'held'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.id, Number(r.state), Number(r.held)])).toEqual([
      [uuid(1), 0, 1],
      [uuid(2), 1, 0],
      [uuid(3), 0, 1],
    ]);
    const templates = await db
      .selectFrom('enrollment_groups')
      .select(['name', 'bootstrap'])
      .orderBy('name')
      .execute();
    expect(templates.map((g) => [g.name, g.bootstrap === null ? null : JSON.parse(g.bootstrap)])).toEqual([
      ['group-1', { content: 'a', content_template: 'none', channels: [], active: false, held: true }],
      ['group-2', { content: 'b', content_template: 'none', channels: [], active: true, held: false }],
      ['group-3', null],
    ]);
    // No tenant has settings yet: new configs deliver at once, as in Magistrala.
    expect(await db.selectFrom('bootstrap_settings').selectAll().execute()).toEqual([]);

    // Idempotent: a second run (a database some other way already at 0016) changes nothing.
    await db.updateTable('bootstrap_configs').set({ held: 0 }).where('id', '=', uuid(3)).execute();
    await m0016.up(db);
    const again = await db.selectFrom('bootstrap_configs').select(['id', 'held']).orderBy('id').execute();
    expect(again.map((r) => Number(r.held))).toEqual([1, 0, 0]);
  });

  it('gives configs created after it held = 0 unless they ask otherwise', async () => {
    const db = await migratedTo('latest');
    await config(db, 7, 0);
    const row = await db
      .selectFrom('bootstrap_configs')
      .select('held')
      .where('id', '=', uuid(7))
      .executeTakeFirstOrThrow();
    expect(Number(row.held)).toBe(0);
  });
});

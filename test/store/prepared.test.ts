import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareQuery } from '../../src/store/prepared.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

describe.each(dialects())('prepared queries on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t.close());

  it('binds new arguments into a query compiled once, keeping compiled constants', async () => {
    const db = t.gh.store.db;
    const { tenant } = await t.gh.tenants.service.create({ name: 'prepared' });
    const q = prepareQuery(
      t.gh.store,
      (id: string, name: string) =>
        db
          .selectFrom('tenants')
          .select(['id', 'name'])
          .where('id', '=', id)
          .where('name', '=', name)
          .where('max_devices', '=', -1),
      2,
    );
    expect(await q(tenant.id, 'prepared')).toEqual([{ id: tenant.id, name: 'prepared' }]);
    expect(await q(tenant.id, 'other')).toEqual([]);
    expect(await q('00000000-0000-4000-8000-000000000000', 'default')).toHaveLength(1);
  });

  it('answers the same on the writer connection as on the reader', async () => {
    const db = t.gh.store.db;
    const { tenant } = await t.gh.tenants.service.create({ name: 'prepared-writer' });
    const build = (id: string) => db.selectFrom('tenants').select(['id', 'name']).where('id', '=', id);
    const onReader = prepareQuery(t.gh.store, build, 1);
    const onWriter = prepareQuery(t.gh.store, build, 1, 'writer');
    expect(await onWriter(tenant.id)).toEqual([{ id: tenant.id, name: 'prepared-writer' }]);
    expect(await onWriter(tenant.id)).toEqual(await onReader(tenant.id));
  });

  it('never shows a read on either connection the rows of a transaction still open', async () => {
    const db = t.gh.store.db;
    const { tenant } = await t.gh.tenants.service.create({ name: 'prepared-open-tx' });
    const build = (id: string) => db.selectFrom('tenants').select('name').where('id', '=', id);
    const onReader = prepareQuery(t.gh.store, build, 1);
    const onWriter = prepareQuery(t.gh.store, build, 1, 'writer');
    let renamed: () => void = () => {};
    const wasRenamed = new Promise<void>((r) => {
      renamed = r;
    });
    let commit: () => void = () => {};
    const mayCommit = new Promise<void>((r) => {
      commit = r;
    });
    const tx = db.transaction().execute(async (trx) => {
      await trx.updateTable('tenants').set({ name: 'uncommitted' }).where('id', '=', tenant.id).execute();
      renamed();
      await mayCommit;
    });
    await wasRenamed;
    let committed = false;
    let beforeCommit: unknown;
    const writerRead = onWriter(tenant.id).then((rows) => {
      if (!committed) beforeCommit = rows;
      return rows;
    });
    expect(await onReader(tenant.id)).toEqual([{ name: 'prepared-open-tx' }]);
    await new Promise((r) => setTimeout(r, 50));
    // The writer's read either waits for the commit (SQLite: one connection) or answers with the
    // committed row (PostgreSQL), never with the open transaction's.
    if (dialect === 'sqlite') expect(beforeCommit).toBeUndefined();
    else expect(beforeCommit).toEqual([{ name: 'prepared-open-tx' }]);
    committed = true;
    commit();
    await tx;
    if (dialect === 'sqlite') expect(await writerRead).toEqual([{ name: 'uncommitted' }]);
    expect(await onWriter(tenant.id)).toEqual([{ name: 'uncommitted' }]);
  });

  it('refuses a builder that ignores an argument', () => {
    const db = t.gh.store.db;
    expect(() => prepareQuery(t.gh.store, (_id: string) => db.selectFrom('tenants').select('id'), 1)).toThrow(
      /does not use argument 0/,
    );
  });
});

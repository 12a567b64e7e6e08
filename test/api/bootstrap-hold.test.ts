import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImportFile } from '../../src/bootstrap/index.js';
import { listEvents } from '../../src/events/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken } from '../helpers/gatehouse.js';
import {
  type BootstrapFixture,
  type BsTenant,
  newExternalId,
  refusalOf,
  startBootstrap,
} from './bootstrap-setup.js';

/**
 * Holding a config (docs/adr/0008-bootstrap.md, "Holding a config"): Gatehouse's own switch that
 * keeps a config from delivering, independent of Magistrala's `state`, with a tenant default for
 * new configs.
 */
describe.each(dialects())('holding bootstrap configs on %s', (dialect) => {
  let f: BootstrapFixture;
  let tenant: BsTenant;

  beforeAll(async () => {
    f = await startBootstrap(dialect);
    tenant = await f.newTenant('hold');
  });
  afterAll(() => f.close());

  const view = async (id: string, t = tenant) =>
    (await f.mgmt(t, 'GET', `/clients/configs/${id}`)).json() as { held: boolean; state: number };
  const hold = (id: string, held: boolean, t = tenant) =>
    f.mgmt(t, 'PUT', `/clients/configs/${id}/hold`, { held });

  it('a held config answers like an unknown external id in any state; released, it delivers in any state', async () => {
    const eid = newExternalId();
    const id = await f.createConfig(tenant, { external_id: eid, external_key: 'k' });
    expect(await view(id)).toMatchObject({ held: false, state: 0 });
    const held = await hold(id, true);
    expect(held.statusCode, held.body).toBe(200);
    expect(held.json()).toMatchObject({ client_id: id, held: true, state: 0 });
    const unknown = await f.fetchPlain(newExternalId(), 'k', '10.20.0.1');
    for (const state of [0, 1] as const) {
      await f.setState(tenant, id, state);
      expect(refusalOf(await f.fetchPlain(eid, 'k', `10.20.1.${state}`))).toEqual(refusalOf(unknown));
    }
    expect((await hold(id, false)).json()).toMatchObject({ held: false, state: 1 });
    expect((await f.fetchPlain(eid, 'k', '10.20.0.2')).statusCode).toBe(200);

    const list = async (q: string) =>
      (
        (await f.mgmt(tenant, 'GET', `/clients/configs${q}`)).json() as {
          configs: { client_id: string }[];
        }
      ).configs.map((c) => c.client_id);
    await hold(id, true);
    expect(await list('?held=true')).toContain(id);
    expect(await list('?held=false')).not.toContain(id);
    expect((await f.mgmt(tenant, 'GET', '/clients/configs?held=yes')).statusCode).toBe(400);

    const events = (await listEvents(f.t.gh.store.db, tenant.id, { limit: 1000 })).filter(
      (e) => e.type === 'bootstrap.hold_changed' && e.payload.client_id === id,
    );
    expect(events.map((e) => [e.payload.from, e.payload.held])).toEqual([
      [false, true],
      [true, false],
      [false, true],
    ]);
  });

  it("applies the tenant's default to new configs (API, import), unless a request says otherwise", async () => {
    const t = await f.newTenant('hold-default');
    expect((await f.mgmt(t, 'GET', '/settings')).json()).toEqual({ hold_new_configs: false });
    const ro = (await adminToken(f.t.gh, { tenantId: t.id, role: 'readonly' })).token;
    expect((await f.mgmt(t, 'PUT', '/settings', { hold_new_configs: true }, ro)).statusCode).toBe(403);
    expect((await f.mgmt(t, 'PUT', '/settings', { hold_new_configs: 'yes' })).statusCode).toBe(400);
    expect((await f.mgmt(tenant, 'PUT', `/../${t.id}/settings`, { hold_new_configs: true })).statusCode).toBe(
      404,
    );
    const put = await f.mgmt(t, 'PUT', '/settings', { hold_new_configs: true });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ hold_new_configs: true });
    // Another tenant keeps Magistrala's default.
    expect((await f.mgmt(tenant, 'GET', '/settings')).json()).toEqual({ hold_new_configs: false });

    const eid = newExternalId();
    const defaulted = await f.createConfig(t, { external_id: eid, external_key: 'k' });
    const explicit = await f.createConfig(t, {
      external_id: newExternalId(),
      external_key: 'k',
      held: false,
    });
    expect(await view(defaulted, t)).toMatchObject({ held: true });
    expect(await view(explicit, t)).toMatchObject({ held: false });
    expect((await f.fetchPlain(eid, 'k', '10.21.0.1')).statusCode).toBe(403);

    const rows = parseImportFile(
      'f.csv',
      'external_id,external_key,held\nimp-default,k,\nimp-held,k,1\nimp-open,k,false\n',
    );
    const report = await f.t.gh.bootstrap.importer.importRows(t.id, rows, { update: false });
    expect(report.counts.created).toBe(3);
    const imported = (
      (await f.mgmt(t, 'GET', '/clients/configs?limit=100')).json() as {
        configs: { external_id: string; held: boolean }[];
      }
    ).configs
      .filter((c) => c.external_id.startsWith('imp-'))
      .map((c) => [c.external_id, c.held]);
    expect(imported.sort()).toEqual([
      ['imp-default', true],
      ['imp-held', true],
      ['imp-open', false],
    ]);
    // The same file again: the empty `held` is not compared, the others match.
    expect((await f.t.gh.bootstrap.importer.importRows(t.id, rows, { update: false })).counts.unchanged).toBe(
      3,
    );

    const settingsEvents = (await listEvents(f.t.gh.store.db, t.id, { limit: 1000 })).filter(
      (e) => e.type === 'bootstrap.settings_changed',
    );
    expect(settingsEvents.map((e) => e.payload)).toEqual([{ hold_new_configs: true }]);
  });
});

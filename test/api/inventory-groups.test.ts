import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceGroup, listAcceptedDeviceIds } from '../../src/inventory/index.js';
import { dialects } from '../helpers/databases.js';
import {
  type Admitted,
  type Fleet,
  type InventoryDevice,
  links,
  type Method,
  startFleet,
  type Tenant,
} from './inventory-fleet.js';

const V1 = '/api/management/v1/inventory';
const UNKNOWN = '00000000-0000-4000-8000-000000000999';

describe.each(dialects())('inventory static groups on %s', (dialect) => {
  let f: Fleet;
  let tenant: Tenant;
  let other: Tenant;
  let devs: Admitted[];
  let pendingId: string;
  let otherDevice: Admitted;

  beforeAll(async () => {
    f = await startFleet(dialect);
    tenant = await f.newTenant('groups');
    other = await f.newTenant('groups-other');
    devs = [];
    for (let i = 0; i < 4; i++) devs.push(await f.admit(tenant));
    pendingId = (await f.pending(tenant)).id;
    otherDevice = await f.admit(other);
  });
  afterAll(() => f.close());

  const call = (method: Method, url: string, payload?: unknown) =>
    f.call(tenant, method, `${V1}${url}`, payload);
  const id = (i: number) => devs[i]?.id as string;

  it('puts a device into one group at a time and reads it back', async () => {
    expect((await call('GET', `/devices/${id(0)}/group`)).json()).toEqual({ group: null });
    const put = await call('PUT', `/devices/${id(0)}/group`, { group: 'alpha' });
    expect(put.statusCode).toBe(204);
    expect((await call('GET', `/devices/${id(0)}/group`)).json()).toEqual({ group: 'alpha' });
    await call('PUT', `/devices/${id(0)}/group`, { group: 'beta' });
    expect((await call('GET', `/devices/${id(0)}/group`)).json()).toEqual({ group: 'beta' });
    const d = (await call('GET', `/devices/${id(0)}`)).json() as InventoryDevice;
    expect(d.attributes.filter((a) => a.scope === 'system' && a.name === 'group')).toEqual([
      { name: 'group', value: 'beta', scope: 'system' },
    ]);
    expect(await deviceGroup(f.t.gh.store.db, tenant.id, id(0))).toBe('beta');
    expect(await deviceGroup(f.t.gh.store.db, other.id, id(0))).toBeUndefined();
    expect((await call('PUT', `/devices/${UNKNOWN}/group`, { group: 'beta' })).statusCode).toBe(404);
    expect((await call('GET', `/devices/${UNKNOWN}/group`)).statusCode).toBe(404);
  });

  it('validates group names like Mender', async () => {
    for (const group of ['', 'has space', 'ümlaut', 'a/b', 'x'.repeat(1025)]) {
      const res = await call('PUT', `/devices/${id(1)}/group`, { group });
      expect(res.statusCode, group).toBe(400);
    }
    expect((await call('PUT', `/devices/${id(1)}/group`, { group: 'A-z_09' })).statusCode).toBe(204);
    expect((await call('PUT', `/devices/${id(1)}/group`, {})).statusCode).toBe(400);
    expect((await call('PATCH', '/groups/bad name/devices', [id(1)])).statusCode).toBe(400);
    expect((await call('DELETE', '/groups/bad%20name')).statusCode).toBe(400);
    await call('DELETE', '/groups/A-z_09');
  });

  it('adds devices in bulk, counting matched and changed ones', async () => {
    const res = await call('PATCH', '/groups/fleet/devices', [id(1), id(2), UNKNOWN, otherDevice.id, 'junk']);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ updated_count: 2, matched_count: 2 });
    const again = await call('PATCH', '/groups/fleet/devices', [id(1), id(2), id(3)]);
    expect(again.json()).toEqual({ updated_count: 1, matched_count: 3 });
    expect((await f.call(other, 'GET', `${V1}/devices/${otherDevice.id}/group`)).json()).toEqual({
      group: null,
    });
    expect((await call('PATCH', '/groups/fleet/devices', [])).statusCode).toBe(400);
    expect((await call('PATCH', '/groups/fleet/devices', { ids: [] })).statusCode).toBe(400);
  });

  it('lists groups, and devices by group with paging', async () => {
    expect((await call('GET', '/groups')).json()).toEqual(['beta', 'fleet']);
    expect((await call('GET', '/groups?status=accepted')).json()).toEqual(['beta', 'fleet']);
    expect((await call('GET', '/groups?status=pending')).json()).toEqual([]);
    expect((await call('GET', '/groups?status=bogus')).statusCode).toBe(400);
    expect((await f.call(other, 'GET', `${V1}/groups`)).json()).toEqual([]);

    const page1 = await call('GET', '/groups/fleet/devices?per_page=2');
    expect(page1.statusCode).toBe(200);
    expect(page1.headers['x-total-count']).toBe('3');
    expect(links(page1.headers.link)).toContain(`<${V1}/groups/fleet/devices?per_page=2&page=2>; rel="next"`);
    const page2 = await call('GET', '/groups/fleet/devices?per_page=2&page=2');
    const all = [...(page1.json() as string[]), ...(page2.json() as string[])];
    expect(all.sort()).toEqual([id(1), id(2), id(3)].sort());
    expect((await call('GET', '/groups/nobody/devices')).statusCode).toBe(404);
    expect((await call('GET', '/groups/fleet/devices?per_page=501')).statusCode).toBe(400);

    const inFleet = (await call('GET', '/devices?group=fleet&per_page=500')).json() as InventoryDevice[];
    expect(new Set(inFleet.map((d) => d.id))).toEqual(new Set([id(1), id(2), id(3)]));
    const grouped = (await call('GET', '/devices?has_group=true')).json() as InventoryDevice[];
    expect(grouped).toHaveLength(4);
    const ungrouped = (await call('GET', '/devices?has_group=false')).json() as InventoryDevice[];
    expect(ungrouped.map((d) => d.id)).toEqual([pendingId]);
  });

  it('exposes accepted devices (optionally of a group) to the deployments domain', async () => {
    const db = f.t.gh.store.db;
    const accepted = await listAcceptedDeviceIds(db, tenant.id);
    expect(accepted).toEqual([...accepted].sort());
    expect(new Set(accepted)).toEqual(new Set(devs.map((d) => d.id)));
    expect(accepted).not.toContain(pendingId);
    expect(new Set(await listAcceptedDeviceIds(db, tenant.id, { group: 'fleet' }))).toEqual(
      new Set([id(1), id(2), id(3)]),
    );
    expect(await listAcceptedDeviceIds(db, tenant.id, { group: 'nobody' })).toEqual([]);
    expect(await listAcceptedDeviceIds(db, other.id)).toEqual([otherDevice.id]);
    // Rejecting a device takes it out at once (identity/status is kept in step by device auth).
    const dev = (await f.call(tenant, 'GET', `/api/management/v2/devauth/devices/${id(3)}`)).json() as {
      auth_sets: { id: string }[];
    };
    const rej = await f.call(
      tenant,
      'PUT',
      `/api/management/v2/devauth/devices/${id(3)}/auth/${dev.auth_sets[0]?.id}/status`,
      { status: 'rejected' },
    );
    expect(rej.statusCode).toBe(204);
    expect(await listAcceptedDeviceIds(db, tenant.id, { group: 'fleet' })).not.toContain(id(3));
    expect((await call('GET', '/groups?status=rejected')).json()).toEqual(['fleet']);
  });

  it('takes devices out of groups and deletes groups', async () => {
    expect((await call('DELETE', `/devices/${id(1)}/group/beta`)).statusCode).toBe(404);
    expect((await call('DELETE', `/devices/${id(1)}/group/fleet`)).statusCode).toBe(204);
    expect((await call('GET', `/devices/${id(1)}/group`)).json()).toEqual({ group: null });
    expect((await f.call(other, 'DELETE', `${V1}/devices/${id(2)}/group/fleet`)).statusCode).toBe(404);

    const res = await call('DELETE', '/groups/fleet/devices', [id(1), id(2), UNKNOWN]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ updated_count: 1 });
    expect((await f.call(other, 'DELETE', `${V1}/groups/fleet`)).json()).toEqual({ updated_count: 0 });
    const del = await call('DELETE', '/groups/fleet');
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ updated_count: 1 });
    expect((await call('GET', '/groups')).json()).toEqual(['beta']);
    expect((await call('DELETE', '/groups/fleet')).json()).toEqual({ updated_count: 0 });
  });

  it('drops the group of a decommissioned device', async () => {
    const d = await f.admit(tenant);
    await call('PUT', `/devices/${d.id}/group`, { group: 'short-lived' });
    expect((await call('GET', '/groups')).json()).toContain('short-lived');
    await f.call(tenant, 'DELETE', `/api/management/v2/devauth/devices/${d.id}`);
    expect((await call('GET', '/groups')).json()).not.toContain('short-lived');
  });
});

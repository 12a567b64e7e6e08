import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import {
  type Admitted,
  attr,
  type Fleet,
  type InventoryDevice,
  links,
  type Method,
  startFleet,
  type Tenant,
} from './inventory-fleet.js';

const V1 = '/api/management/v1/inventory';

describe.each(dialects())('inventory management v1 on %s', (dialect) => {
  let f: Fleet;
  let tenant: Tenant;
  let other: Tenant;
  let a: Admitted;
  let b: Admitted;
  let c: Admitted;
  let pendingId: string;

  beforeAll(async () => {
    f = await startFleet(dialect);
    tenant = await f.newTenant('inventory-v1');
    other = await f.newTenant('inventory-v1-other');
    a = await f.admit(tenant, [
      { name: 'device_type', value: 'raspberrypi4' },
      { name: 'cpu_count', value: 4 },
      { name: 'ipv4_eth0', value: ['10.0.0.2/24', '10.0.0.3/24'] },
      { name: 'artifact_name', value: 'release-2' },
    ]);
    b = await f.admit(tenant, [
      { name: 'device_type', value: 'qemux86-64' },
      { name: 'cpu_count', value: 16 },
      { name: 'artifact_name', value: 'release-10' },
    ]);
    c = await f.admit(tenant, [{ name: 'device_type', value: 'raspberrypi4' }]);
    pendingId = (await f.pending(tenant)).id;
    await f.admit(other, [{ name: 'device_type', value: 'raspberrypi4' }]);
  });
  afterAll(() => f.close());

  const call = (method: Method, url: string, payload?: unknown, headers?: Record<string, string>) =>
    f.call(tenant, method, `${V1}${url}`, payload, headers);
  const list = async (query: string) => {
    const res = await call('GET', `/devices${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as InventoryDevice[];
  };
  const ids = async (query: string) => (await list(query)).map((d) => d.id);

  it('shows identity, auth status, reported inventory and system times of each device', async () => {
    const res = await call('GET', `/devices/${a.id}`);
    expect(res.statusCode).toBe(200);
    const d = res.json() as InventoryDevice;
    expect(d.id).toBe(a.id);
    expect(attr(d, 'identity', 'mac')).toBe(a.mac);
    expect(attr(d, 'identity', 'status')).toBe('accepted');
    expect(attr(d, 'inventory', 'device_type')).toBe('raspberrypi4');
    expect(attr(d, 'inventory', 'cpu_count')).toBe(4);
    expect(attr(d, 'inventory', 'ipv4_eth0')).toEqual(['10.0.0.2/24', '10.0.0.3/24']);
    expect(attr(d, 'system', 'created_ts')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(attr(d, 'system', 'updated_ts')).toBe(d.updated_ts);
    expect(attr(d, 'system', 'check_in_time')).toEqual(expect.any(String));
    expect(d.attributes.find((x) => x.name === 'device_type')).toEqual({
      name: 'device_type',
      value: 'raspberrypi4',
      scope: 'inventory',
    });
    const pending = (await call('GET', `/devices/${pendingId}`)).json() as InventoryDevice;
    expect(attr(pending, 'identity', 'status')).toBe('pending');
    expect(attr(pending, 'inventory', 'device_type')).toBeUndefined();
  });

  it('lists all devices of the tenant, pending ones too, with X-Total-Count and Link', async () => {
    const res = await call('GET', '/devices?per_page=2');
    expect(res.headers['x-total-count']).toBe('4');
    const body = res.json() as InventoryDevice[];
    expect(body).toHaveLength(2);
    expect(links(res.headers.link)).toEqual([
      `<${V1}/devices?per_page=2&page=1>; rel="first"`,
      `<${V1}/devices?per_page=2&page=2>; rel="next"`,
      `<${V1}/devices?per_page=2&page=2>; rel="last"`,
    ]);
    const second = await call('GET', '/devices?per_page=2&page=2');
    expect(links(second.headers.link)).toContain(`<${V1}/devices?per_page=2&page=1>; rel="prev"`);
    expect(links(second.headers.link).some((l) => l.includes('rel="next"'))).toBe(false);
    const all = [...body, ...(second.json() as InventoryDevice[])].map((d) => d.id);
    expect(new Set(all)).toEqual(new Set([a.id, b.id, c.id, pendingId]));
    expect(await list('?page=3&per_page=2')).toEqual([]);
  });

  it('filters by attributes: bare names are the inventory scope, numbers match numbers, arrays any element', async () => {
    expect(new Set(await ids('?device_type=raspberrypi4'))).toEqual(new Set([a.id, c.id]));
    expect(new Set(await ids('?inventory/device_type=eq:raspberrypi4'))).toEqual(new Set([a.id, c.id]));
    expect(await ids('?cpu_count=16')).toEqual([b.id]);
    expect(await ids('?ipv4_eth0=10.0.0.3/24')).toEqual([a.id]);
    expect(new Set(await ids('?identity/status=accepted'))).toEqual(new Set([a.id, b.id, c.id]));
    expect(await ids(`?identity/mac=${encodeURIComponent(b.mac)}&device_type=qemux86-64`)).toEqual([b.id]);
    expect(await ids('?identity/status=pending')).toEqual([pendingId]);
    expect(await ids('?device_type=nothing')).toEqual([]);
    const res = await call('GET', '/devices?device_type=raspberrypi4&per_page=1');
    expect(res.headers['x-total-count']).toBe('2');
  });

  it('sorts by one or more attributes, missing values first ascending and last descending', async () => {
    expect(await ids('?identity/status=accepted&sort=cpu_count:desc')).toEqual([b.id, a.id, c.id]);
    expect(await ids('?identity/status=accepted&sort=inventory/cpu_count')).toEqual([c.id, a.id, b.id]);
    // Code-point order of strings: "release-10" < "release-2".
    expect(await ids('?identity/status=accepted&sort=artifact_name:asc')).toEqual([c.id, b.id, a.id]);
    const byType = await ids('?identity/status=accepted&sort=device_type:asc,cpu_count:desc');
    expect(byType).toEqual([b.id, a.id, c.id]);
    const byMac = await list('?sort=identity/mac:desc');
    const macs = byMac.map((d) => attr(d, 'identity', 'mac') as string);
    expect(macs).toEqual([...macs].sort().reverse());
  });

  it('resets only the device-reported attributes; the next report restores them', async () => {
    const d = await f.admit(tenant, [{ name: 'device_type', value: 'beaglebone' }]);
    const res = await call('DELETE', `/devices/${d.id}`);
    expect(res.statusCode).toBe(204);
    const after = (await call('GET', `/devices/${d.id}`)).json() as InventoryDevice;
    expect(after.attributes.filter((x) => x.scope === 'inventory')).toEqual([]);
    expect(attr(after, 'identity', 'status')).toBe('accepted');
    // The same report again must be written (its digest was forgotten).
    await f.report(d, [{ name: 'device_type', value: 'beaglebone' }]);
    const restored = (await call('GET', `/devices/${d.id}`)).json() as InventoryDevice;
    expect(attr(restored, 'inventory', 'device_type')).toBe('beaglebone');
    expect((await call('DELETE', '/devices/00000000-0000-4000-8000-000000000999')).statusCode).toBe(404);
    await f.call(tenant, 'DELETE', `/api/management/v2/devauth/devices/${d.id}`);
  });

  it('sets tags with PUT and PATCH, guarded by If-Match ETags', async () => {
    const put = await call('PUT', `/devices/${c.id}/tags`, [
      { name: 'location', value: 'berlin', description: 'site' },
      { name: 'rack', value: 7 },
    ]);
    expect(put.statusCode).toBe(200);
    expect(put.body).toBe('');
    const got = await call('GET', `/devices/${c.id}`);
    const etag = got.headers.etag as string;
    expect(etag).toBe(put.headers.etag);
    expect(got.json().attributes).toContainEqual({
      name: 'location',
      value: 'berlin',
      scope: 'tags',
      description: 'site',
    });
    expect(await ids('?tags/location=berlin')).toEqual([c.id]);

    const stale = await call('PATCH', `/devices/${c.id}/tags`, [{ name: 'rack', value: 8 }], {
      'if-match': '"nope"',
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error).toBe('ETag does not match');
    const patched = await call('PATCH', `/devices/${c.id}/tags`, [{ name: 'rack', value: 8 }], {
      'if-match': etag,
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.headers.etag).not.toBe(etag);
    const tags = ((await call('GET', `/devices/${c.id}`)).json() as InventoryDevice).attributes.filter(
      (x) => x.scope === 'tags',
    );
    expect(tags.map((x) => [x.name, x.value])).toEqual([
      ['location', 'berlin'],
      ['rack', 8],
    ]);
    // The old ETag is stale now; the bare form (as Mender sends it) of the current one works.
    expect((await call('PUT', `/devices/${c.id}/tags`, [], { 'if-match': etag })).statusCode).toBe(412);
    const bare = (patched.headers.etag as string).replaceAll('"', '');
    const cleared = await call('PUT', `/devices/${c.id}/tags`, [], { 'if-match': bare });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.headers.etag).toBeUndefined();
    expect((await call('GET', `/devices/${c.id}`)).headers.etag).toBeUndefined();
  });

  it('refuses bad tags', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `t${i}`, value: 'x' }));
    expect((await call('PUT', `/devices/${a.id}/tags`, many)).statusCode).toBe(400);
    await call('PUT', `/devices/${a.id}/tags`, many.slice(0, 20));
    const over = await call('PATCH', `/devices/${a.id}/tags`, [{ name: 'one-more', value: 'x' }]);
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatch(/above the limit/);
    expect((await call('PUT', `/devices/${a.id}/tags`, [{ name: 'x', value: true }])).statusCode).toBe(400);
    expect((await call('PUT', `/devices/${a.id}/tags`, [{ name: '', value: 'x' }])).statusCode).toBe(400);
    expect((await call('PUT', `/devices/${a.id}/tags`, { name: 'x' })).statusCode).toBe(400);
    expect(
      (await call('PUT', `/devices/${a.id}/tags`, [], { 'if-match': 'x'.repeat(2000) })).statusCode,
    ).toBe(400);
    expect((await call('PUT', '/devices/00000000-0000-4000-8000-000000000999/tags', [])).statusCode).toBe(
      404,
    );
    await call('PUT', `/devices/${a.id}/tags`, []);
  });

  it('counts accepted and pending devices of the tenant only (v2 statistics, all the standard tier)', async () => {
    const stats = async (who: Tenant) => {
      const res = await f.call(who, 'GET', '/api/management/v2/inventory/statistics');
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    expect(await stats(tenant)).toEqual({
      devices_by_status: {
        accepted: { standard: 3, micro: 0, system: 0 },
        pending: { standard: 1, micro: 0, system: 0 },
      },
    });
    expect(await stats(other)).toEqual({
      devices_by_status: {
        accepted: { standard: 1, micro: 0, system: 0 },
        pending: { standard: 0, micro: 0, system: 0 },
      },
    });
  });

  it("answers 404 for another tenant's devices and never lists them", async () => {
    const theirs = (await f.call(other, 'GET', `${V1}/devices`)).json() as InventoryDevice[];
    expect(theirs).toHaveLength(1);
    const id = theirs[0]?.id as string;
    expect((await call('GET', `/devices/${id}`)).statusCode).toBe(404);
    expect((await call('DELETE', `/devices/${id}`)).statusCode).toBe(404);
    expect((await call('PUT', `/devices/${id}/tags`, [{ name: 'x', value: 'y' }])).statusCode).toBe(404);
    expect((await call('GET', `/devices/${id}/group`)).statusCode).toBe(404);
    expect((await call('PUT', `/devices/${id}/group`, { group: 'mine' })).statusCode).toBe(404);
    expect(await ids('?per_page=500')).not.toContain(id);
    expect((await call('GET', `/devices/${a.id}`)).statusCode).toBe(200);
    expect((await f.call(other, 'GET', `${V1}/devices/${a.id}`)).statusCode).toBe(404);
    const res = await f.t.app.inject({ method: 'GET', url: `${V1}/devices` });
    expect(res.statusCode).toBe(401);
  });

  it('forgets a decommissioned device', async () => {
    const d = await f.admit(tenant, [{ name: 'device_type', value: 'doomed' }]);
    expect(await ids('?device_type=doomed')).toEqual([d.id]);
    const res = await f.call(tenant, 'DELETE', `/api/management/v2/devauth/devices/${d.id}`);
    expect(res.statusCode).toBe(204);
    expect((await call('GET', `/devices/${d.id}`)).statusCode).toBe(404);
    expect(await ids('?device_type=doomed')).toEqual([]);
  });

  it('answers 400 to bad parameters', async () => {
    const bad = async (query: string, message?: RegExp) => {
      const res = await call('GET', `/devices${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json()).toEqual({ error: expect.any(String), request_id: expect.any(String) });
      if (message) expect(res.json().error).toMatch(message);
    };
    await bad('?per_page=501', /per_page.*above limit/);
    await bad('?page=0');
    await bad('?page=x');
    await bad('?sort=cpu_count:up', /sort order/);
    await bad('?bogus/name=1', /unknown scope/);
    await bad('?has_group=maybe');
    await bad('?device_type=a&device_type=b', /only once/);
    await bad(`?${'x'.repeat(1030)}=1`, /attribute name/);
    await bad(`?device_type=${'x'.repeat(5000)}`);
    await bad(`?system/created_ts=yesterday`, /RFC 3339/);
    await bad(`?${Array.from({ length: 40 }, (_, i) => `a${i}=1`).join('&')}`, /at most/);
    expect((await call('GET', '/devices/not-a-uuid')).statusCode).toBe(404);
    expect((await call('GET', `/devices/${'x'.repeat(100)}`)).statusCode).toBe(400);
  });
});

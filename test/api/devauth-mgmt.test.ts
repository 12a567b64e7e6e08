import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { rowCounts } from '../helpers/rows.js';

type DeviceJson = {
  id: string;
  identity_data: Record<string, unknown>;
  status: string;
  decommissioning: boolean;
  created_ts: string;
  updated_ts: string;
  auth_sets: {
    id: string;
    status: string;
    pubkey: string;
    ts: string;
    identity_data: Record<string, unknown>;
  }[];
};

describe.each(dialects())('device auth management API on %s', (dialect) => {
  let t: TestServer;
  let admin: string;
  let tenantId: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    const { tenant } = await t.gh.tenants.service.create({ name: 'mgmt' });
    tenantId = tenant.id;
    admin = (await adminToken(t.gh, { tenantId })).token;
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/management/v2/devauth${url}`,
      headers: bearer(admin),
      payload: payload as object,
    });

  const preauth = async (mac: string) => {
    const keys = makeDeviceKeys();
    const res = await call('POST', '/devices', { identity_data: { mac }, pubkey: keys.publicPem });
    expect(res.statusCode).toBe(201);
    return { keys, id: (res.headers.location as string).replace('devices/', '') };
  };

  it('pages the device list with Mender Link headers', async () => {
    for (let i = 0; i < 5; i++) await preauth(`page-${i}`);
    const first = await call('GET', '/devices?per_page=2');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toHaveLength(2);
    const links = ([] as string[]).concat(first.headers.link as string | string[]);
    expect(links).toContain('</api/management/v2/devauth/devices?per_page=2&page=1>; rel="first"');
    expect(links).toContain('</api/management/v2/devauth/devices?per_page=2&page=2>; rel="next"');
    const last = await call('GET', '/devices?per_page=2&page=3');
    expect(last.json()).toHaveLength(1);
    const lastLinks = ([] as string[]).concat(last.headers.link as string | string[]);
    expect(lastLinks.some((l) => l.includes('rel="prev"'))).toBe(true);
    expect(lastLinks.some((l) => l.includes('rel="next"'))).toBe(false);
    const all = (await call('GET', '/devices?per_page=500')).json() as DeviceJson[];
    expect(new Set(all.map((d) => d.id)).size).toBe(all.length);
  });

  it('rejects bad paging and filters with 400', async () => {
    expect((await call('GET', '/devices?per_page=501')).json().error).toBe(
      'parameter "per_page" above limit (max: 500)',
    );
    expect((await call('GET', '/devices?page=0')).statusCode).toBe(400);
    expect((await call('GET', '/devices?page=abc')).statusCode).toBe(400);
    expect((await call('GET', '/devices?status=bogus')).statusCode).toBe(400);
    expect((await call('GET', '/devices/count?status=bogus')).json().error).toMatch(/status must be one of/);
  });

  it('filters by repeated status and id, and searches by POST', async () => {
    const keys = makeDeviceKeys();
    const tenantToken = await t.gh.tenants.service.tenantToken(tenantId);
    await t.app.inject(authRequest(keys, { mac: 'filter-pending' }, { tenantToken }));
    const pending = (await call('GET', '/devices?status=pending')).json() as DeviceJson[];
    expect(pending.map((d) => d.identity_data.mac)).toEqual(['filter-pending']);
    const both = (
      await call('GET', '/devices?status=pending&status=preauthorized&per_page=500')
    ).json() as DeviceJson[];
    expect(new Set(both.map((d) => d.status))).toEqual(new Set(['pending', 'preauthorized']));
    const byId = (await call('GET', `/devices?id=${pending[0]?.id}`)).json() as DeviceJson[];
    expect(byId).toHaveLength(1);
    expect((await call('GET', '/devices?id=not-a-uuid')).json()).toEqual([]);
    const searched = (await call('POST', '/devices/search', { status: 'pending' })).json() as DeviceJson[];
    expect(searched.map((d) => d.id)).toEqual([pending[0]?.id]);
    const count = (await call('GET', '/devices/count?status=pending')).json();
    expect(count).toEqual({ count: 1 });
  });

  it('returns the Mender device shape', async () => {
    const { id } = await preauth('shape');
    const d = (await call('GET', `/devices/${id}`)).json() as DeviceJson;
    expect(d).toMatchObject({
      id,
      identity_data: { mac: 'shape' },
      status: 'preauthorized',
      decommissioning: false,
    });
    expect(d.created_ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(d.auth_sets[0]).toMatchObject({ status: 'preauthorized', identity_data: { mac: 'shape' } });
    expect(d.auth_sets[0]?.pubkey).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(Object.keys(d.auth_sets[0] ?? {})).not.toContain('device_id');
  });

  it('answers 409 with a clear message for an existing identity or key, and adds a key with force', async () => {
    const a = await preauth('dup');
    const again = await call('POST', '/devices', {
      identity_data: { mac: 'dup' },
      pubkey: makeDeviceKeys().publicPem,
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      error: 'device with the same identity data already exists',
      id: a.id,
      identity_data: { mac: 'dup' },
    });
    const sameKey = await call('POST', '/devices', {
      identity_data: { mac: 'other' },
      pubkey: a.keys.publicPem,
    });
    expect(sameKey.statusCode).toBe(409);
    expect(sameKey.json().error).toBe(`public key is already in use by device ${a.id}`);

    const rotated = makeDeviceKeys();
    const forced = await call('POST', '/devices', {
      identity_data: { mac: 'dup' },
      pubkey: rotated.publicPem,
      force: true,
    });
    expect(forced.statusCode).toBe(201);
    expect(forced.headers.location).toBe(`devices/${a.id}`);
    const d = (await call('GET', `/devices/${a.id}`)).json() as DeviceJson;
    expect(d.auth_sets.map((s) => s.status)).toEqual(['preauthorized', 'preauthorized']);
  });

  it('validates preauthorization input with 400 and stores nothing', async () => {
    const before = await rowCounts(t.gh);
    for (const body of [
      { identity_data: 'mac', pubkey: makeDeviceKeys().publicPem },
      { identity_data: {}, pubkey: makeDeviceKeys().publicPem },
      { identity_data: { mac: 'x' }, pubkey: 'nope' },
      { identity_data: { mac: 'x' } },
      { identity_data: { mac: 'x' }, pubkey: makeDeviceKeys().publicPem, force: 'yes' },
    ]) {
      const res = await call('POST', '/devices', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toEqual(expect.any(String));
    }
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/api/management/v2/devauth/devices',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      payload: '{"identity_data":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(await rowCounts(t.gh)).toEqual(before);
  });

  it('applies the auth set status transitions of deviceauth', async () => {
    const { id } = await preauth('transitions');
    const d = (await call('GET', `/devices/${id}`)).json() as DeviceJson;
    const aid = d.auth_sets[0]?.id as string;
    const put = (status: unknown) => call('PUT', `/devices/${id}/auth/${aid}/status`, { status });
    expect((await put('accepted')).statusCode).toBe(400);
    expect((await put('preauthorized')).json().error).toMatch(/incorrect device status/);
    expect((await put('bogus')).statusCode).toBe(400);
    expect((await put(1)).statusCode).toBe(400);
    expect((await call('GET', `/devices/${id}/auth/${aid}/status`)).json()).toEqual({
      status: 'preauthorized',
    });
    expect(
      (
        await call('PUT', `/devices/${id}/auth/00000000-0000-4000-8000-000000000001/status`, {
          status: 'accepted',
        })
      ).statusCode,
    ).toBe(404);
  });

  it('deletes a device with its only preauthorized auth set, and keeps a pending one as noauth', async () => {
    const { id } = await preauth('withdrawn');
    const aid = ((await call('GET', `/devices/${id}`)).json() as DeviceJson).auth_sets[0]?.id;
    expect((await call('DELETE', `/devices/${id}/auth/${aid}`)).statusCode).toBe(204);
    expect((await call('GET', `/devices/${id}`)).statusCode).toBe(404);

    const tenantToken = await t.gh.tenants.service.tenantToken(tenantId);
    await t.app.inject(authRequest(makeDeviceKeys(), { mac: 'noauth' }, { tenantToken }));
    const dev = ((await call('GET', '/devices?per_page=500')).json() as DeviceJson[]).find(
      (x) => x.identity_data.mac === 'noauth',
    ) as DeviceJson;
    expect((await call('DELETE', `/devices/${dev.id}/auth/${dev.auth_sets[0]?.id}`)).statusCode).toBe(204);
    expect(((await call('GET', `/devices/${dev.id}`)).json() as DeviceJson).status).toBe('noauth');
  });

  it("hides other tenants' devices behind 404", async () => {
    const other = (await adminToken(t.gh)).token; // default tenant
    const { id } = await preauth('private');
    for (const [method, url] of [
      ['GET', `/devices/${id}`],
      ['DELETE', `/devices/${id}`],
      ['GET', `/devices/${id}/auth/00000000-0000-4000-8000-000000000001/status`],
    ] as const) {
      const res = await t.app.inject({
        method,
        url: `/api/management/v2/devauth${url}`,
        headers: bearer(other),
      });
      expect(res.statusCode).toBe(404);
    }
    const list = (
      await t.app.inject({ method: 'GET', url: '/api/management/v2/devauth/devices', headers: bearer(other) })
    ).json() as DeviceJson[];
    expect(list.some((d) => d.id === id)).toBe(false);
    expect((await call('GET', `/devices/${id}`)).statusCode).toBe(200);
  });

  it("reports limits, 0 meaning unlimited (as Mender's web UI reads it)", async () => {
    // The tenant has no limit (-1 in its settings); Mender's UI 3.x disables "Accept" unless the
    // limit is 0 or above the accepted count.
    expect((await call('GET', '/limits/max_devices')).json()).toEqual({ limit: 0 });
    expect((await call('GET', '/limits/other')).statusCode).toBe(400);
  });

  it('requires a token', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/management/v2/devauth/devices' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toBe('Authorization not present in header');
    const bad = await t.app.inject({
      method: 'GET',
      url: '/api/management/v2/devauth/devices',
      headers: bearer('x.y.z'),
    });
    expect(bad.statusCode).toBe(401);
  });
});

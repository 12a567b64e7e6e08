import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, type KeyKind, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { jwtPayload } from '../helpers/rows.js';

const inventoryPut = (token: string) => ({
  method: 'PUT' as const,
  url: '/api/devices/v1/inventory/device/attributes',
  headers: { ...bearer(token), 'content-type': 'application/json' },
  payload: [{ name: 'device_type', value: 'qemux86-64' }],
});

let macSeq = 0;
const newMac = () => {
  macSeq += 1;
  return `02:00:00:00:${String(Math.floor(macSeq / 256)).padStart(2, '0')}:${(macSeq % 256).toString(16).padStart(2, '0')}`;
};

describe.each(dialects())('device authentication on %s', (dialect) => {
  let t: TestServer;
  let admin: string;
  const clock = manualClock();

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { clock });
    admin = (await adminToken(t.gh)).token;
  });
  afterAll(() => t.close());

  const mgmt = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/management/v2/devauth${url}`,
      headers: bearer(admin),
      payload: payload as object,
    });

  const deviceByMac = async (mac: string) => {
    const res = await mgmt('GET', '/devices?per_page=500');
    return (
      res.json() as {
        id: string;
        identity_data: { mac: string };
        status: string;
        auth_sets: { id: string; status: string }[];
      }[]
    ).find((d) => d.identity_data.mac === mac);
  };

  const accept = async (deviceId: string, authSetId: string) => {
    const res = await mgmt('PUT', `/devices/${deviceId}/auth/${authSetId}/status`, { status: 'accepted' });
    expect(res.statusCode).toBe(204);
  };

  /** Unknown device → pending; accept it; returns a token from the next auth request. */
  const admit = async (kind: KeyKind = 'ed25519') => {
    const keys = makeDeviceKeys(kind);
    const identity = { mac: newMac() };
    const first = await t.app.inject(authRequest(keys, identity));
    expect(first.statusCode).toBe(401);
    const dev = await deviceByMac(identity.mac);
    if (!dev) throw new Error('device not recorded');
    await accept(dev.id, dev.auth_sets[0]?.id as string);
    const res = await t.app.inject(authRequest(keys, identity));
    expect(res.statusCode).toBe(200);
    return { keys, identity, deviceId: dev.id, authSetId: dev.auth_sets[0]?.id as string, token: res.body };
  };

  it("records an unknown device as pending and answers 401 in Mender's shape", async () => {
    const keys = makeDeviceKeys('rsa');
    const identity = { mac: newMac() };
    const res = await t.app.inject(authRequest(keys, identity));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: 'dev auth: unauthorized', request_id: expect.any(String) });
    expect(res.headers['x-men-requestid']).toBe(res.json().request_id);
    // Asking again neither duplicates the device nor the auth set.
    await t.app.inject(authRequest(keys, identity));
    const dev = await deviceByMac(identity.mac);
    expect(dev?.status).toBe('pending');
    expect(dev?.auth_sets).toHaveLength(1);
    expect(dev?.auth_sets[0]?.status).toBe('pending');
  });

  it.each(['rsa', 'rsa3072', 'ec', 'ec384', 'ed25519'] as const)(
    'issues a Mender-compatible token once a %s auth set is accepted',
    async (kind) => {
      const d = await admit(kind);
      expect(d.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const claims = jwtPayload(d.token);
      expect(claims).toMatchObject({
        sub: d.deviceId,
        'mender.device': true,
        'mender.tenant': DEFAULT_TENANT_ID,
        iss: 'Gatehouse',
      });
      expect(typeof claims.jti).toBe('string');
      expect(Number(claims.exp) - Number(claims.iat)).toBe(7 * 86400);
      const header = JSON.parse(
        Buffer.from(d.token.split('.')[0] as string, 'base64url').toString(),
      ) as Record<string, string>;
      expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT', kid: expect.any(String) });
      expect((await t.app.inject(inventoryPut(d.token))).statusCode).toBe(200);
    },
  );

  it('answers the token as a bare application/jwt body with no trailing newline', async () => {
    const d = await admit();
    const res = await t.app.inject(authRequest(d.keys, d.identity));
    expect(res.headers['content-type']).toMatch(/^application\/jwt/);
    expect(res.body).not.toMatch(/\s$/);
    expect(res.body.startsWith('"')).toBe(false);
  });

  it('accepts a preauthorized device on its first request, whatever the key order of the identity', async () => {
    for (const kind of ['rsa3072', 'ec', 'ed25519'] as const) {
      const keys = makeDeviceKeys(kind);
      const mac = newMac();
      const pre = await mgmt('POST', '/devices', {
        identity_data: { serialnumber: '1928819', mac },
        pubkey: keys.publicPem,
      });
      expect(pre.statusCode).toBe(201);
      expect(pre.headers.location).toMatch(/^devices\/[0-9a-f-]{36}$/);
      expect((await deviceByMac(mac))?.status).toBe('preauthorized');
      const res = await t.app.inject(authRequest(keys, { mac, serialnumber: '1928819' }));
      expect(res.statusCode).toBe(200);
      const dev = await deviceByMac(mac);
      expect(dev?.status).toBe('accepted');
      expect(dev?.auth_sets.map((a) => a.status)).toEqual(['accepted']);
    }
  });

  it('does not admit a preauthorized identity presenting another key', async () => {
    const keys = makeDeviceKeys();
    const mac = newMac();
    await mgmt('POST', '/devices', { identity_data: { mac }, pubkey: keys.publicPem });
    const res = await t.app.inject(authRequest(makeDeviceKeys(), { mac }));
    expect(res.statusCode).toBe(401);
    const dev = await deviceByMac(mac);
    expect(dev?.status).toBe('preauthorized');
    expect(dev?.auth_sets.map((a) => a.status).sort()).toEqual(['pending', 'preauthorized']);
  });

  it('rotates keys: a new key is a new pending auth set; accepting it rejects the old one and kills its tokens', async () => {
    const d = await admit('rsa');
    const newKeys = makeDeviceKeys('ec');
    expect((await t.app.inject(authRequest(newKeys, d.identity))).statusCode).toBe(401);
    let dev = await deviceByMac(d.identity.mac);
    expect(dev?.id).toBe(d.deviceId);
    expect(dev?.status).toBe('accepted');
    expect(dev?.auth_sets).toHaveLength(2);
    expect((await t.app.inject(inventoryPut(d.token))).statusCode).toBe(200);

    const pending = dev?.auth_sets.find((a) => a.status === 'pending');
    await accept(d.deviceId, pending?.id as string);
    dev = await deviceByMac(d.identity.mac);
    expect(dev?.auth_sets.find((a) => a.id === d.authSetId)?.status).toBe('rejected');
    expect(dev?.auth_sets.filter((a) => a.status === 'accepted')).toHaveLength(1);
    expect((await t.app.inject(inventoryPut(d.token))).statusCode).toBe(401);
    expect((await t.app.inject(authRequest(d.keys, d.identity))).statusCode).toBe(401);
    expect((await t.app.inject(authRequest(newKeys, d.identity))).statusCode).toBe(200);
  });

  it('kills the token at once when the auth set is rejected', async () => {
    const d = await admit();
    expect(
      (await mgmt('PUT', `/devices/${d.deviceId}/auth/${d.authSetId}/status`, { status: 'rejected' }))
        .statusCode,
    ).toBe(204);
    expect((await t.app.inject(inventoryPut(d.token))).statusCode).toBe(401);
    expect((await t.app.inject(authRequest(d.keys, d.identity))).statusCode).toBe(401);
    expect((await deviceByMac(d.identity.mac))?.status).toBe('rejected');
  });

  it('kills the token when the accepted auth set is set back to pending or deleted', async () => {
    const a = await admit();
    await mgmt('PUT', `/devices/${a.deviceId}/auth/${a.authSetId}/status`, { status: 'pending' });
    expect((await t.app.inject(inventoryPut(a.token))).statusCode).toBe(401);
    const b = await admit();
    expect((await mgmt('DELETE', `/devices/${b.deviceId}/auth/${b.authSetId}`)).statusCode).toBe(204);
    expect((await t.app.inject(inventoryPut(b.token))).statusCode).toBe(401);
    expect((await deviceByMac(b.identity.mac))?.status).toBe('noauth');
  });

  it('decommissions in one go: device, auth sets, tokens and inventory disappear and the token dies', async () => {
    const d = await admit();
    await t.app.inject(inventoryPut(d.token));
    expect((await mgmt('DELETE', `/devices/${d.deviceId}`)).statusCode).toBe(204);
    expect((await t.app.inject(inventoryPut(d.token))).statusCode).toBe(401);
    expect((await mgmt('GET', `/devices/${d.deviceId}`)).statusCode).toBe(404);
    const db = t.gh.store.db;
    for (const table of ['auth_sets', 'device_tokens', 'inventory_attributes'] as const) {
      const rows = await db
        .selectFrom(table)
        .select('device_id')
        .where('device_id', '=', d.deviceId)
        .execute();
      expect(rows).toHaveLength(0);
    }
    const events = await db.selectFrom('events').select('type').where('device_id', '=', d.deviceId).execute();
    expect(events.map((e) => e.type)).toContain('device.decommissioned');
    // The identity is free again: the device comes back as a new pending device.
    expect((await t.app.inject(authRequest(d.keys, d.identity))).statusCode).toBe(401);
    const again = await deviceByMac(d.identity.mac);
    expect(again?.id).not.toBe(d.deviceId);
    expect(again?.status).toBe('pending');
  });

  it('revokes a single token; the device can authenticate again', async () => {
    const d = await admit();
    const jti = jwtPayload(d.token).jti as string;
    expect((await mgmt('DELETE', `/tokens/${jti}`)).statusCode).toBe(204);
    expect((await t.app.inject(inventoryPut(d.token))).statusCode).toBe(401);
    expect((await mgmt('DELETE', `/tokens/${jti}`)).statusCode).toBe(404);
    const again = await t.app.inject(authRequest(d.keys, d.identity));
    expect(again.statusCode).toBe(200);
    expect(jwtPayload(again.body).jti).not.toBe(jti);
    expect((await t.app.inject(inventoryPut(again.body))).statusCode).toBe(200);
  });

  it('refuses an expired token', async () => {
    const d = await admit();
    clock.advance(7 * 86400 * 1000 + 1000);
    try {
      expect((await t.app.inject(inventoryPut(d.token))).statusCode).toBe(401);
    } finally {
      clock.advance(-(7 * 86400 * 1000 + 1000));
    }
  });

  it('refuses user tokens on device routes and device tokens on management routes', async () => {
    const d = await admit();
    expect((await t.app.inject(inventoryPut(admin))).statusCode).toBe(401);
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/management/v2/devauth/devices',
      headers: bearer(d.token),
    });
    expect(res.statusCode).toBe(401);
    expect(
      (await t.app.inject({ ...inventoryPut(d.token), headers: { 'content-type': 'application/json' } }))
        .statusCode,
    ).toBe(401);
  });

  it('enforces max_devices: 422 on manual accept, 401 on preauthorized auto-accept', async () => {
    const { tenant } = await t.gh.tenants.service.create({ name: 'limited', maxDevices: 1 });
    const tenantToken = await t.gh.tenants.service.tenantToken(tenant.id);
    const tAdmin = (await adminToken(t.gh, { tenantId: tenant.id })).token;
    const call = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
      t.app.inject({ method, url: `/api/management/v2/devauth${url}`, headers: bearer(tAdmin), payload });
    expect((await call('GET', '/limits/max_devices')).json()).toEqual({ limit: 1 });

    const a = makeDeviceKeys();
    await call('POST', '/devices', { identity_data: { mac: 'lim-a' }, pubkey: a.publicPem });
    expect((await t.app.inject(authRequest(a, { mac: 'lim-a' }, { tenantToken }))).statusCode).toBe(200);

    const b = makeDeviceKeys();
    await call('POST', '/devices', { identity_data: { mac: 'lim-b' }, pubkey: b.publicPem });
    expect((await t.app.inject(authRequest(b, { mac: 'lim-b' }, { tenantToken }))).statusCode).toBe(401);

    const c = makeDeviceKeys();
    await t.app.inject(authRequest(c, { mac: 'lim-c' }, { tenantToken }));
    const devs = (await call('GET', '/devices?status=pending')).json() as {
      id: string;
      auth_sets: { id: string }[];
    }[];
    expect(devs).toHaveLength(1);
    const res = await call('PUT', `/devices/${devs[0]?.id}/auth/${devs[0]?.auth_sets[0]?.id}/status`, {
      status: 'accepted',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatch(/max_devices/);
    expect((await call('GET', '/devices/count?status=accepted')).json()).toEqual({ count: 1 });
  });
});

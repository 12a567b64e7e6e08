import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

describe.each(dialects())('device requests on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t.close());

  const admit = async (mac: string) => {
    const keys = makeDeviceKeys();
    const pre = await t.gh.devauthAdmin.preauthorize(DEFAULT_TENANT_ID, {
      identityData: { mac },
      pubkey: keys.publicPem,
    });
    const res = await t.app.inject(authRequest(keys, { mac }));
    expect(res.statusCode).toBe(200);
    return { keys, token: res.body, deviceId: pre.deviceId, authSetId: pre.authSetId };
  };

  it('survives overlapping inventory reports of one device (no unique violations)', async () => {
    const d = await admit('concurrent');
    const put = (i: number) =>
      t.app.inject({
        method: 'PUT',
        url: '/api/devices/v1/inventory/device/attributes',
        headers: bearer(d.token),
        payload: [
          { name: 'device_type', value: 'qemux86-64' },
          { name: 'n', value: i },
          ...(i % 2 ? [{ name: 'odd', value: 'yes' }] : []),
        ],
      });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => put(i)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(30).fill(200));
    // PUT replaces the scope: after one final report only its attributes remain.
    await put(100);
    const attrs = await t.gh.inventory.deviceAttributes(DEFAULT_TENANT_ID, d.deviceId);
    expect(attrs.map((a) => [a.name, a.value])).toEqual([
      ['device_type', 'qemux86-64'],
      ['n', 100],
    ]);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/devices/v1/inventory/device/attributes',
      headers: bearer(d.token),
      payload: [{ name: 'extra', value: ['a', 'b'] }],
    });
    expect(patch.statusCode).toBe(200);
    expect((await t.gh.inventory.deviceAttributes(DEFAULT_TENANT_ID, d.deviceId)).map((a) => a.name)).toEqual(
      ['device_type', 'extra', 'n'],
    );
  });

  it('records the check-in time of a polling device', async () => {
    const d = await admit('check-in');
    await t.gh.store.db
      .updateTable('devices')
      .set({ check_in_at: null })
      .where('id', '=', d.deviceId)
      .execute();
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/devices/v1/inventory/device/attributes',
      headers: bearer(d.token),
      payload: [],
    });
    expect(res.statusCode).toBe(200);
    // Written in batches off the request path (every few seconds); flush now instead of waiting.
    await t.gh.checkIns.flush();
    const checkInAt = (await t.gh.devauthAdmin.getDevice(DEFAULT_TENANT_ID, d.deviceId)).checkInAt;
    expect(checkInAt).toEqual(expect.any(Number));
    const email = `check-in-${dialect}@example.com`;
    await t.gh.users.create({ tenantId: DEFAULT_TENANT_ID, email, password: 'long enough password' });
    const userToken = await t.gh.users.login(email, 'long enough password');
    const wire = await t.app.inject({
      method: 'GET',
      url: `/api/management/v2/devauth/devices/${d.deviceId}`,
      headers: bearer(userToken),
    });
    expect(wire.json().check_in_time).toBe(new Date(checkInAt as number).toISOString());
  });

  it('keeps only the newest tokens of an auth set, all of them valid', async () => {
    const d = await admit('many-tokens');
    const tokens = [d.token];
    for (let i = 0; i < 7; i++)
      tokens.push((await t.app.inject(authRequest(d.keys, { mac: 'many-tokens' }))).body);
    const rows = await t.gh.store.db
      .selectFrom('device_tokens')
      .select('id')
      .where('auth_set_id', '=', d.authSetId)
      .execute();
    expect(rows).toHaveLength(5);
    const status = async (tok: string) =>
      (
        await t.app.inject({
          method: 'PUT',
          url: '/api/devices/v1/inventory/device/attributes',
          headers: bearer(tok),
          payload: [],
        })
      ).statusCode;
    expect(await status(tokens[0] as string)).toBe(401);
    for (const tok of tokens.slice(-5)) expect(await status(tok)).toBe(200);
  });

  it('caps the auth sets one identity can pile up with new keys', async () => {
    for (let i = 0; i < 22; i++) {
      expect((await t.app.inject(authRequest(makeDeviceKeys(), { mac: 'key-spammer' }))).statusCode).toBe(
        401,
      );
    }
    const { devices } = await t.gh.devauthAdmin.listDevices(DEFAULT_TENANT_ID, {
      page: { page: 1, perPage: 500 },
    });
    const dev = devices.find((d) => d.identity.mac === 'key-spammer');
    expect(dev?.authSets).toHaveLength(20);
  });
});

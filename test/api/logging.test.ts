import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loggerOptions } from '../../src/app.js';
import { authRequest, makeDeviceKeys, signBody } from '../helpers/device-client.js';
import { bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

describe('logs', () => {
  const lines: string[] = [];
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse('sqlite', {
      logger: loggerOptions('trace', { write: (l) => lines.push(l) }),
    });
  });
  afterAll(() => t.close());

  it('never contain passwords, tokens or device signatures, even at trace level', async () => {
    const password = 'super secret password 42';
    await t.gh.users.create({
      tenantId: '00000000-0000-4000-8000-000000000000',
      email: 'log@example.com',
      password,
    });
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/management/v1/useradm/auth/login',
      headers: { authorization: `Basic ${Buffer.from(`log@example.com:${password}`).toString('base64')}` },
    });
    const userToken = login.body;
    const pat = (
      await t.app.inject({
        method: 'POST',
        url: '/api/management/v1/useradm/settings/tokens',
        headers: bearer(userToken),
        payload: { name: 'p' },
      })
    ).body;
    const keys = makeDeviceKeys();
    const { tenant, tenantToken } = await t.gh.tenants.create({ name: 'logs' });
    const req = authRequest(keys, { mac: 'log' }, { tenantToken });
    await t.app.inject(req);
    const [dev] = (await t.gh.devauthAdmin.listDevices(tenant.id, { page: { page: 1, perPage: 1 } })).devices;
    await t.gh.devauthAdmin.setAuthSetStatus(
      tenant.id,
      dev?.id as string,
      dev?.authSets[0]?.id as string,
      'accepted',
    );
    const deviceToken = (await t.app.inject(req)).body;
    await t.app.inject({
      method: 'PUT',
      url: '/api/devices/v1/inventory/device/attributes',
      headers: bearer(deviceToken),
      payload: [],
    });
    await t.app.inject({ method: 'GET', url: '/api/management/v2/devauth/devices', headers: bearer(pat) });

    const all = lines.join('');
    expect(all).toContain('incoming request');
    for (const secret of [password, userToken, pat, deviceToken, tenantToken, signBody(keys, req.payload)]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(all).not.toContain(secret);
    }
    expect(all).not.toContain(Buffer.from(`log@example.com:${password}`).toString('base64'));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/index.js';
import { dialects } from '../helpers/databases.js';
import { bearer } from '../helpers/gatehouse.js';
import { type Admitted, type Fleet, startFleet, type Tenant } from './inventory-fleet.js';

const SELF = '/api/devices/v1/bootstrap/config';

describe.each(dialects())('bootstrap for Mender devices (one identity) on %s', (dialect) => {
  let f: Fleet;
  let tenant: Tenant;
  let device: Admitted;
  let configId: string;
  const externalId = 'link-02:42:ac:11:00:02';

  beforeAll(async () => {
    f = await startFleet(dialect);
    tenant = await f.newTenant('bootstrap-link');
    device = await f.admit(tenant, [
      { name: 'device_type', value: 'raspberrypi4' },
      { name: 'rootfs-image.version', value: 'v1.2' },
      { name: 'ipv4', value: ['10.0.0.2/24', '10.0.0.3/24'] },
    ]);
    const created = await f.call(tenant, 'POST', `/bootstrap/${tenant.id}/clients/configs`, {
      external_id: externalId,
      external_key: 'link-key',
      held: true,
      name: 'linked "gw"',
      content_template: 'json',
      content:
        '{"mac":"{{identity.mac}}","type":"{{ inventory.device_type }}","fw":"{{inventory.rootfs-image.version}}",' +
        '"ips":"{{inventory.ipv4}}","device":"{{device.id}}","name":"{{config.name}}","none":"{{inventory.missing}}","lit":"{{{{x}}"}',
    });
    expect(created.statusCode, created.body).toBe(201);
    configId = String(created.headers.location).split('/').pop() as string;
  });
  afterAll(() => f.close());

  const self = (token = device.token) => f.t.app.inject({ method: 'GET', url: SELF, headers: bearer(token) });

  it('links a config to an existing device of the tenant only', async () => {
    const link = (deviceId: string | null, t = tenant) =>
      f.call(t, 'PUT', `/bootstrap/${t.id}/clients/configs/${configId}/device`, { device_id: deviceId });
    expect((await link('00000000-0000-4000-8000-00000000dead')).statusCode).toBe(400);
    const other = await f.newTenant('bootstrap-link-other');
    const stranger = await f.admit(other);
    expect((await link(stranger.id)).statusCode).toBe(400);
    const res = await link(device.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ client_id: configId, device_id: device.id });
  });

  it('serves an accepted device its config (once released) with its device token, the template filled from its identity and inventory', async () => {
    expect((await self()).statusCode).toBe(404); // still held
    const on = await f.call(tenant, 'PUT', `/bootstrap/${tenant.id}/clients/configs/${configId}/hold`, {
      held: false,
    });
    expect(on.statusCode).toBe(200);
    const res = await self();
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { client_id: string; content: string };
    expect(body.client_id).toBe(configId);
    expect(JSON.parse(body.content)).toEqual({
      mac: device.mac,
      type: 'raspberrypi4',
      fw: 'v1.2',
      ips: '10.0.0.2/24,10.0.0.3/24',
      device: device.id,
      name: 'linked "gw"',
      none: '',
      lit: '{{x}}',
    });
    // The external-key route delivers the same rendered content.
    const plain = await f.t.app.inject({
      method: 'GET',
      url: `/bootstrap/clients/bootstrap/${encodeURIComponent(externalId)}`,
      headers: { authorization: 'Client link-key' },
    });
    expect((plain.json() as { content: string }).content).toBe(body.content);
    // An inventory change shows in the next delivery.
    await f.report(device, [{ name: 'device_type', value: 'qemux86-64' }], 'PATCH');
    expect(JSON.parse(((await self()).json() as { content: string }).content).type).toBe('qemux86-64');
    await f.t.gh.bootstrap.flushEvents();
    const fetched = (
      await listEvents(f.t.gh.store.db, tenant.id, { deviceId: device.id, limit: 100 })
    ).filter((e) => e.type === 'bootstrap.fetched');
    expect(fetched.map((e) => e.payload.mode)).toEqual(['device_token', 'plain', 'device_token']);
  });

  it('refuses other devices, user tokens, and nothing once held; state (connections) does not matter', async () => {
    const stranger = await f.admit(tenant);
    expect((await self(stranger.token)).statusCode).toBe(404);
    expect((await self(tenant.admin)).statusCode).toBe(401);
    expect((await f.t.app.inject({ method: 'GET', url: SELF })).statusCode).toBe(401);
    const hold = (held: boolean) =>
      f.call(tenant, 'PUT', `/bootstrap/${tenant.id}/clients/configs/${configId}/hold`, { held });
    expect((await hold(true)).statusCode).toBe(200);
    expect((await self()).statusCode).toBe(404);
    await f.call(tenant, 'PUT', `/bootstrap/${tenant.id}/clients/state/${configId}`, { state: 1 });
    expect((await self()).statusCode).toBe(404);
    expect((await hold(false)).statusCode).toBe(200);
    expect((await self()).statusCode).toBe(200);
    await f.call(tenant, 'PUT', `/bootstrap/${tenant.id}/clients/state/${configId}`, { state: 0 });
    expect((await self()).statusCode).toBe(200);
  });

  it('forgets the link when the device is decommissioned', async () => {
    const d = await f.admit(tenant);
    const created = await f.call(tenant, 'POST', `/bootstrap/${tenant.id}/clients/configs`, {
      external_id: `decom-${d.mac}`,
      external_key: 'k',
      device_id: d.id,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = String(created.headers.location).split('/').pop();
    expect((await f.call(tenant, 'DELETE', `/api/management/v2/devauth/devices/${d.id}`)).statusCode).toBe(
      204,
    );
    const view = await f.call(tenant, 'GET', `/bootstrap/${tenant.id}/clients/configs/${id}`);
    expect(view.statusCode).toBe(200);
    expect(view.json()).not.toHaveProperty('device_id');
  });
});

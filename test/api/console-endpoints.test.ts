import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// Management endpoints the console needs: who am I, a device's deployment history, the
// bootstrap config linked to a device.

const MGMT = '/api/management/v1';
const D = `${MGMT}/deployments`;
const DEV = '/api/devices/v1/deployments/device/deployments';

type HistoryJson = {
  id: string;
  deployment: { id: string; name: string; artifact_name: string; status: string };
  device: {
    id: string;
    status: string;
    created: string;
    finished?: string;
    log: boolean;
    image?: { id: string; name: string };
  };
};

describe.each(dialects())('console endpoints on %s', (dialect) => {
  let t: TestServer;
  let tenantId: string;
  let tenantToken: string;
  let admin: { token: string; email: string; userId: string };

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    const created = await t.gh.tenants.service.create({ name: 'Console Corp' });
    tenantId = created.tenant.id;
    tenantToken = created.tenantToken;
    admin = await adminToken(t.gh, { tenantId });
  });
  afterAll(() => t.close());

  const api = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: unknown,
    token = admin.token,
  ) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('GET /useradm/users/me names the user, role and tenant, for sessions and personal access tokens', async () => {
    const me = await api('GET', `${MGMT}/useradm/users/me`);
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      id: admin.userId,
      email: admin.email,
      role: 'admin',
      tenant: { id: tenantId, name: 'Console Corp' },
    });
    expect(me.json().created_ts).toEqual(expect.any(String));
    const ro = await adminToken(t.gh, { tenantId, role: 'readonly' });
    expect((await api('GET', `${MGMT}/useradm/users/me`, undefined, ro.token)).json()).toMatchObject({
      id: ro.userId,
      role: 'readonly',
      tenant: { id: tenantId, name: 'Console Corp' },
    });
    const pat = await api('POST', `${MGMT}/useradm/settings/tokens`, { name: 'console' });
    expect(pat.statusCode).toBe(200);
    const viaPat = await api('GET', `${MGMT}/useradm/users/me`, undefined, pat.body);
    expect(viaPat.json()).toMatchObject({ id: admin.userId, role: 'admin', tenant: { id: tenantId } });
    expect((await t.app.inject({ method: 'GET', url: `${MGMT}/useradm/users/me` })).statusCode).toBe(401);
    // PUT /users/me still reaches the user update.
    const put = await api('PUT', `${MGMT}/useradm/users/me`, {
      email: `renamed-${randomUUID()}@example.com`,
    });
    expect(put.statusCode).toBe(204);
  });

  it("GET /deployments/deployments/devices/{id}: the device's deployments, newest first, with its own status", async () => {
    const artifact = readFileSync(
      makeSingleFileArtifact({ name: 'hist-1', deviceTypes: ['hist-board'], compression: 'none' }),
    );
    const form = await multipartUpload(artifact);
    const up = await t.app.inject({
      method: 'POST',
      url: `${D}/artifacts`,
      headers: { ...bearer(admin.token), 'content-type': form.contentType },
      payload: form.body,
    });
    expect(up.statusCode, up.body).toBe(201);
    const artifactId = String(up.headers.location).split('/').pop();

    const keys = makeDeviceKeys();
    const pre = await t.gh.devauth.admin.preauthorize(tenantId, {
      identityData: { mac: 'hist' },
      pubkey: keys.publicPem,
    });
    const token = (await t.app.inject(authRequest(keys, { mac: 'hist' }, { tenantToken }))).body;
    const deploy = async (name: string) => {
      const res = await api('POST', `${D}/deployments`, {
        name,
        artifact_name: 'hist-1',
        devices: [pre.deviceId],
      });
      expect(res.statusCode, res.body).toBe(201);
      return String(res.headers.location).split('/').pop() as string;
    };
    const first = await deploy('first');
    // The device takes the first one and fails it.
    const next = await t.app.inject({
      method: 'POST',
      url: `${DEV}/next`,
      headers: bearer(token),
      payload: { device_type: 'hist-board', artifact_name: 'factory' },
    });
    expect(next.statusCode, next.body).toBe(200);
    for (const status of ['downloading', 'failure'])
      expect(
        (
          await t.app.inject({
            method: 'PUT',
            url: `${DEV}/${first}/status`,
            headers: bearer(token),
            payload: { status },
          })
        ).statusCode,
      ).toBe(204);
    const second = await deploy('second');

    const res = await api('GET', `${D}/deployments/devices/${pre.deviceId}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['x-total-count']).toBe('2');
    const history = res.json() as HistoryJson[];
    expect(history.map((h) => h.id)).toEqual([second, first]);
    expect(history[0]).toMatchObject({
      deployment: { id: second, name: 'second', artifact_name: 'hist-1', status: 'pending' },
      device: { id: pre.deviceId, status: 'pending', log: false },
    });
    expect(history[1]).toMatchObject({
      deployment: { id: first, name: 'first', status: 'finished' },
      device: { status: 'failure', image: { id: artifactId, name: 'hist-1' } },
    });
    expect(history[1]?.device.finished).toEqual(expect.any(String));

    const failed = (
      await api('GET', `${D}/deployments/devices/${pre.deviceId}?status=failure`)
    ).json() as HistoryJson[];
    expect(failed.map((h) => h.id)).toEqual([first]);
    const active = (
      await api('GET', `${D}/deployments/devices/${pre.deviceId}?status=active`)
    ).json() as HistoryJson[];
    expect(active.map((h) => h.id)).toEqual([second]);
    const paged = await api('GET', `${D}/deployments/devices/${pre.deviceId}?per_page=1&page=2`);
    expect((paged.json() as HistoryJson[]).map((h) => h.id)).toEqual([first]);
    expect((await api('GET', `${D}/deployments/devices/${pre.deviceId}?status=bogus`)).statusCode).toBe(400);
    for (const id of [randomUUID(), 'not-a-uuid']) {
      const none = await api('GET', `${D}/deployments/devices/${id}`);
      expect(none.statusCode).toBe(200);
      expect(none.json()).toEqual([]);
      expect(none.headers['x-total-count']).toBe('0');
    }

    // A decommissioned device keeps its history.
    expect((await api('DELETE', `/api/management/v2/devauth/devices/${pre.deviceId}`)).statusCode).toBe(204);
    const after = (await api('GET', `${D}/deployments/devices/${pre.deviceId}`)).json() as HistoryJson[];
    expect(after.map((h) => [h.id, h.device.status])).toEqual([
      [second, 'decommissioned'],
      [first, 'failure'],
    ]);
  });

  it('GET /bootstrap/{domain}/clients/configs?device_id= finds the config linked to a device', async () => {
    const keys = makeDeviceKeys();
    const pre = await t.gh.devauth.admin.preauthorize(tenantId, {
      identityData: { mac: 'bs' },
      pubkey: keys.publicPem,
    });
    const base = `/bootstrap/${tenantId}/clients/configs`;
    for (const n of [1, 2]) {
      const res = await api('POST', base, { external_id: `bs-${n}`, external_key: `bs-key-${n}` });
      expect(res.statusCode, res.body).toBe(201);
    }
    const [linked] = (
      (await api('GET', `${base}?external_id=bs-2`)).json() as { configs: { client_id: string }[] }
    ).configs;
    const link = await api('PUT', `${base}/${linked?.client_id}/device`, { device_id: pre.deviceId });
    expect(link.statusCode, link.body).toBe(200);
    const found = (await api('GET', `${base}?device_id=${pre.deviceId}`)).json() as {
      total: number;
      configs: { client_id: string; external_id: string }[];
    };
    expect(found.total).toBe(1);
    expect(found.configs.map((c) => c.external_id)).toEqual(['bs-2']);
    const none = (await api('GET', `${base}?device_id=${randomUUID()}`)).json() as { total: number };
    expect(none.total).toBe(0);
    expect((await api('GET', `${base}?device_id=${'x'.repeat(65)}`)).statusCode).toBe(400);
  });

  it('GET /enrollment/registrations/{device_id} stays the record of the certificate that admitted a device', async () => {
    const res = await api('GET', `${MGMT}/enrollment/registrations/${randomUUID()}`);
    expect(res.statusCode).toBe(404);
  });
});

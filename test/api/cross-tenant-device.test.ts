import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { makeDeviceKeys } from '../helpers/device-client.js';
import { bearer } from '../helpers/gatehouse.js';
import { hasTool, makeCsr, pkiDir } from '../helpers/openssl.js';
import { snapshot } from './cross-tenant-compare.js';
import { buildWorld, DEPLOY, DEVAUTH, DEVICE_DEPLOY, type Method, type World } from './cross-tenant-world.js';

// The device side of tenancy: a device of tenant A reaches nothing of tenant B (its deployment
// ids in paths are in cross-tenant-paths.test.ts), and a deployment's device rows cannot outlive
// a device decommissioned while the deployment is created.

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('cross-tenant device side on %s', (dialect) => {
  let w: World;
  const api = (method: Method, url: string, payload?: unknown) => w.call(w.a.admin, method, url, payload);

  beforeAll(async () => {
    w = await buildWorld(dialect);
  }, 120_000);
  afterAll(async () => w?.t.close());

  it('a device never gets, nor is blocked by, another tenant’s deployment rows', async () => {
    const db = w.t.gh.store.db;
    const poll = (token: string) =>
      w.call(token, 'POST', `${DEVICE_DEPLOY}/next`, { artifact_name: 'factory', device_type: 'xt-board' });
    const own = await poll(w.b.deviceToken);
    expect(own.statusCode).toBe(200);
    expect(own.json().id).toBe(w.b.deploymentId);
    // A row that a database from before this check could hold: tenant A's deployment naming B's
    // device, older than B's own deployment.
    await db
      .insertInto('device_deployments')
      .values({
        deployment_id: w.a.deploymentId,
        device_id: w.b.devices.accepted,
        tenant_id: w.a.id,
        status: 'pending',
        substate: null,
        is_active: 1,
        artifact_id: null,
        provides: null,
        created_at: 0,
        started_at: null,
        finished_at: null,
        log_available: 0,
      })
      .execute();
    try {
      const again = await poll(w.b.deviceToken);
      expect(again.statusCode).toBe(200);
      expect(again.json().id).toBe(w.b.deploymentId);
      // Tenant A's device sees only A's deployment, B's device ids in its path are 404 (paths suite).
      const a = await poll(w.a.deviceToken);
      expect(a.statusCode).toBe(200);
      expect(a.json().id).toBe(w.a.deploymentId);
    } finally {
      await db
        .deleteFrom('device_deployments')
        .where('deployment_id', '=', w.a.deploymentId)
        .where('device_id', '=', w.b.devices.accepted)
        .execute();
    }
    // A device's bootstrap config is its own tenant's.
    const cfg = await w.call(w.a.deviceToken, 'GET', '/api/devices/v1/bootstrap/config');
    expect(cfg.statusCode, cfg.body).toBe(200);
    expect(cfg.json()).toMatchObject({ client_id: w.a.configId });
    expect(cfg.body).not.toContain(w.b.configId);
    expect(cfg.body).not.toContain(w.b.channelId);
  });

  it('EST: a device token of one tenant enrolls nothing under another tenant', async () => {
    const dir = pkiDir();
    const { der } = makeCsr(dir, `xt-est-${dialect}`);
    const before = await snapshot(w.t, w.b.id);
    const res = await w.t.app.inject({
      method: 'POST',
      url: `/.well-known/est/${w.b.id}/simpleenroll`,
      headers: { ...bearer(w.a.deviceToken), 'content-type': 'application/pkcs10' },
      payload: der.toString('base64'),
    });
    expect(res.statusCode, res.body).toBe(401);
    expect(await snapshot(w.t, w.b.id)).toEqual(before);
  });

  it('a deployment racing the decommission of a device it lists never keeps an active row for a removed device', async () => {
    const db = w.t.gh.store.db;
    for (let round = 0; round < 10; round++) {
      const keys = makeDeviceKeys();
      const mac = `race-${round}`;
      const pre = await api('POST', `${DEVAUTH}/devices`, { identity_data: { mac }, pubkey: keys.publicPem });
      expect(pre.statusCode).toBe(201);
      const deviceId = String(pre.headers.location).split('/').pop() as string;
      const [created, removed] = await Promise.all([
        api('POST', `${DEPLOY}/deployments`, {
          name: `race-${round}`,
          artifact_name: w.a.artifactName,
          devices: [deviceId],
        }),
        api('DELETE', `${DEVAUTH}/devices/${deviceId}`),
      ]);
      expect(removed.statusCode).toBe(204);
      expect([201, 400], created.body).toContain(created.statusCode);
      const active = await db
        .selectFrom('device_deployments')
        .select('status')
        .where('device_id', '=', deviceId)
        .where('is_active', '=', 1)
        .execute();
      expect(active, `round ${round}: ${created.statusCode}`).toEqual([]);
    }
  });
});

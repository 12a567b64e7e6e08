import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSingleFileArtifact } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { bearer } from '../helpers/gatehouse.js';
import { hasTool } from '../helpers/openssl.js';
import { answer, snapshot, unknownLike } from './cross-tenant-compare.js';
import {
  buildWorld,
  DEPLOY,
  DEVAUTH,
  ENROLL,
  INVENTORY,
  type Method,
  type World,
} from './cross-tenant-world.js';

// Ids in bodies and queries (path ids: cross-tenant-paths.test.ts; the device side:
// cross-tenant-device.test.ts): each of tenant B's ids, used by a caller of tenant A, gets
// exactly the answer a random id of the same shape gets, and nothing is created or changed (ADR 2).

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('cross-tenant ids in bodies and queries on %s', (dialect) => {
  let w: World;
  const api = (method: Method, url: string, payload?: unknown) => w.call(w.a.admin, method, url, payload);
  const bs = (method: Method, path: string, payload?: unknown) =>
    api(method, `/bootstrap/${w.a.id}${path}`, payload);

  /**
   * Sends the request once with tenant B's ids and once with random ids of the same shape: the
   * answers must be identical and `status`, and tenant B's rows and all row counts unchanged.
   */
  const same = async (
    label: string,
    send: (ids: string[]) => Promise<LightMyRequestResponse>,
    foreign: string[],
    status: number,
  ) => {
    const unknown = foreign.map(unknownLike);
    const before = await snapshot(w.t, w.b.id);
    const asForeign = answer(await send(foreign), foreign);
    const asUnknown = answer(await send(unknown), unknown);
    expect(asForeign.status, `${label}: ${JSON.stringify(asForeign.body)}`).toBe(status);
    expect(asForeign, label).toEqual(asUnknown);
    expect(await snapshot(w.t, w.b.id), label).toEqual(before);
    return asForeign;
  };
  const bDevices = () => Object.values(w.b.devices);

  beforeAll(async () => {
    w = await buildWorld(dialect);
  }, 120_000);
  afterAll(async () => w?.t.close());

  it('deployments: device ids of another tenant are refused like unknown ones, and nothing is created', async () => {
    const create = (devices: string[]) =>
      api('POST', `${DEPLOY}/deployments`, { name: 'cross', artifact_name: w.a.artifactName, devices });
    for (const id of bDevices()) {
      const refused = await same(`devices [${id}]`, ([x]) => create([x as string]), [id], 400);
      expect(refused.body).toMatchObject({ error: 'unknown device ids (1): <id>' });
    }
    // Mixed with the caller's own devices: still refused as a whole, in one transaction.
    await same('own and foreign', (ids) => create([w.a.devices.accepted, ...ids]), bDevices(), 400);
    await same('foreign first', (ids) => create([...ids, w.a.devices.pending]), bDevices(), 400);
    // The same list with the caller's own devices only is a deployment (any status may be listed).
    const okRes = await create([w.a.devices.accepted, w.a.devices.pending]);
    expect(okRes.statusCode, okRes.body).toBe(201);
    const id = String(okRes.headers.location).split('/').pop() as string;
    const listed = (await api('GET', `${DEPLOY}/deployments/${id}/device_list`)).json() as string[];
    expect(listed.sort()).toEqual([w.a.devices.accepted, w.a.devices.pending].sort());
    expect((await api('PUT', `${DEPLOY}/deployments/${id}/status`, { status: 'aborted' })).statusCode).toBe(
      204,
    );

    await same(
      'statistics/list',
      (ids) => api('POST', `${DEPLOY}/deployments/statistics/list`, { deployment_ids: ids }),
      [w.b.deploymentId],
      200,
    );
    await same(
      'deployments ?search=',
      ([x]) => api('GET', `${DEPLOY}/deployments?search=${x}`),
      [w.b.deploymentId],
      200,
    );
  });

  it('device auth and inventory: searches and filters by id stay in the tenant', async () => {
    await same(
      'devauth search',
      (ids) => api('POST', `${DEVAUTH}/devices/search`, { id: ids }),
      bDevices(),
      200,
    );
    await same(
      'devauth ?id=',
      (ids) => api('GET', `${DEVAUTH}/devices?${ids.map((i) => `id=${i}`).join('&')}`),
      bDevices(),
      200,
    );
    await same(
      'devauth ?q= (device id)',
      ([x]) => api('GET', `${DEVAUTH}/devices?q=${x}`),
      [w.b.devices.accepted],
      200,
    );
    await same(
      'devauth count ?q=',
      ([x]) => api('GET', `${DEVAUTH}/devices/count?q=${x}`),
      [w.b.devices.pending],
      200,
    );
    for (const action of ['accept', 'reject', 'dismiss', 'decommission']) {
      const bulk = await same(
        `devauth bulk ${action}`,
        (ids) => api('POST', `${DEVAUTH}/devices/bulk`, { action, device_ids: ids }),
        bDevices(),
        200,
      );
      expect(bulk.body).toMatchObject({ succeeded: 0, failed: bDevices().length, truncated: false });
    }
    await same(
      'inventory v2 search',
      (ids) => api('POST', '/api/management/v2/inventory/filters/search', { device_ids: ids }),
      bDevices(),
      200,
    );
    const patch = await same(
      'add to group',
      (ids) => api('PATCH', `${INVENTORY}/groups/${w.a.group}/devices`, ids),
      bDevices(),
      200,
    );
    expect(patch.body).toEqual({ updated_count: 0, matched_count: 0 });
    await same(
      'remove from group',
      (ids) => api('DELETE', `${INVENTORY}/groups/${w.a.group}/devices`, ids),
      bDevices(),
      200,
    );
    // Group names are per tenant: another tenant's group is an empty one here.
    await same('inventory ?group=', ([x]) => api('GET', `${INVENTORY}/devices?group=${x}`), [w.b.group], 200);
    await same(
      'audit ?device_id=',
      ([x]) => api('GET', `/api/management/v1/audit/events?device_id=${x}`),
      [w.b.devices.accepted],
      200,
    );
  });

  it('bootstrap: channels, device links and client ids of another tenant', async () => {
    const newConfig = (extra: Record<string, unknown>) =>
      bs('POST', '/clients/configs', {
        external_id: `xt-new-${Math.random()}`,
        external_key: 'a new external key',
        ...extra,
      });
    await same('create, channels', (ids) => newConfig({ channels: ids }), [w.b.channelId], 400);
    await same('create, device_id', ([x]) => newConfig({ device_id: x }), [w.b.devices.accepted], 400);
    await same(
      'connections',
      (ids) =>
        bs('PUT', `/clients/configs/connections/${w.a.configId}`, { channels: [w.a.channelId, ...ids] }),
      [w.b.channelId],
      400,
    );
    await same(
      'device link',
      ([x]) => bs('PUT', `/clients/configs/${w.a.configId}/device`, { device_id: x }),
      [w.b.devices.preauthorized],
      400,
    );
    await same('?client_id=', ([x]) => bs('GET', `/clients/configs?client_id=${x}`), [w.b.configId], 200);
    await same(
      '?device_id=',
      ([x]) => bs('GET', `/clients/configs?device_id=${x}`),
      [w.b.devices.accepted],
      200,
    );
    await same(
      '?external_id=',
      ([x]) => bs('GET', `/clients/configs?external_id=${x}`),
      [w.b.externalId],
      200,
    );
    // A client-chosen id is unique across tenants: taken by B it is refused like one taken in A.
    const before = await snapshot(w.t, w.b.id);
    const taken = async (id: string) => answer(await newConfig({ client_id: id }), [id]);
    const byB = await taken(w.b.configId);
    expect(byB.status).toBe(409);
    expect(byB).toEqual(await taken(w.a.configId));
    expect(await snapshot(w.t, w.b.id)).toEqual(before);
  });

  it('enrollment: CAs, allocation webhooks, channels and groups of another tenant', async () => {
    const group = (extra: Record<string, unknown>) =>
      api('POST', `${ENROLL}/groups`, { name: `xt-${Math.random()}`, ...extra });
    for (const ca of [w.b.caId, w.b.builtinCaId]) {
      await same('group ca_id', ([x]) => group({ ca_id: x }), [ca], 400);
      await same(
        'patch ca_id',
        ([x]) => api('PATCH', `${ENROLL}/groups/${w.a.enrollmentGroupId}`, { ca_id: x }),
        [ca],
        400,
      );
      await same('?ca_id=', ([x]) => api('GET', `${ENROLL}/groups?ca_id=${x}`), [ca], 200);
    }
    // A CA of the caller's own without a group, so only the foreign reference can fail.
    const ownCa = w.a.builtinCaId;
    await same(
      'group allocation_webhook_id',
      ([x]) => group({ ca_id: ownCa, allocation_webhook_id: x }),
      [w.b.allocationWebhookId],
      400,
    );
    await same(
      'patch allocation_webhook_id',
      ([x]) => api('PATCH', `${ENROLL}/groups/${w.a.enrollmentGroupId}`, { allocation_webhook_id: x }),
      [w.b.allocationWebhookId],
      400,
    );
    await same(
      'group bootstrap channels',
      (ids) => group({ ca_id: ownCa, bootstrap: { content: '', channels: ids } }),
      [w.b.channelId],
      400,
    );
    await same(
      'individual group_id',
      ([x]) => api('POST', `${ENROLL}/individuals`, { registration_id: `xt-${Math.random()}`, group_id: x }),
      [w.b.enrollmentGroupId],
      400,
    );
    await same(
      'patch individual group_id',
      ([x]) => api('PATCH', `${ENROLL}/individuals/${w.a.individualId}`, { group_id: x }),
      [w.b.enrollmentGroupId],
      400,
    );
    await same(
      'individuals ?group_id=',
      ([x]) => api('GET', `${ENROLL}/individuals?group_id=${x}`),
      [w.b.enrollmentGroupId],
      200,
    );
    await same(
      'registrations ?group_id=',
      ([x]) => api('GET', `${ENROLL}/registrations?group_id=${x}`),
      [w.b.enrollmentGroupId],
      200,
    );
  });

  it('webhooks: delivery filters by event id', async () => {
    await same(
      'deliveries ?event_id=',
      ([x]) => api('GET', `/api/management/v1/webhooks/${w.a.webhookId}/deliveries?event_id=${x}`),
      [w.b.eventId],
      200,
    );
  });

  it('artifacts: a client-chosen artifact_id taken by another tenant is refused like one taken in the own tenant', async () => {
    const other = readFileSync(
      makeSingleFileArtifact({ name: `xt-other-${dialect}`, deviceTypes: ['xt-board'], compression: 'none' }),
    );
    const upload = async (id: string) => {
      const fd = new FormData();
      fd.append('size', String(other.length));
      fd.append('artifact_id', id);
      fd.append('artifact', new Blob([other]), 'a.mender');
      const r = new Response(fd);
      const res = await w.t.app.inject({
        method: 'POST',
        url: `${DEPLOY}/artifacts`,
        headers: { ...bearer(w.a.admin), 'content-type': r.headers.get('content-type') as string },
        payload: Buffer.from(await r.arrayBuffer()),
      });
      return answer(res, [id]);
    };
    const before = await snapshot(w.t, w.b.id);
    const byB = await upload(w.b.artifactId);
    expect(byB.status).toBe(409);
    expect(byB.body).toMatchObject({ error: 'artifact_id is already in use' });
    expect(byB).toEqual(await upload(w.a.artifactId));
    expect(await snapshot(w.t, w.b.id)).toEqual(before);
  });
});

import { readFileSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSingleFileArtifact, multipartUpload } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { IN_CI } from '../helpers/env.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { takeContractViolations } from '../helpers/mender-contract.js';
import {
  createResponseChecker,
  loadMenderDocument,
  MENDER_OPENAPI_PATH,
  operationForRequest,
  routeServes,
} from './mender-openapi.js';

// The main Mender management and device operations, walked in the order an operator and a device
// use them, on each dialect. Every answer goes through the contract recorder (helpers/
// mender-contract.ts), which checks it against Mender's own OpenAPI document; this file makes
// that coverage independent of the other API tests.

const doc = loadMenderDocument();

describe("Mender's published OpenAPI document", () => {
  it('is at hand for the contract tests (required in CI)', (ctx) => {
    if (!doc && !IN_CI) ctx.skip();
    expect(doc, `Mender's OpenAPI document is missing: ${MENDER_OPENAPI_PATH}`).toBeDefined();
    expect(doc?.operations.length).toBeGreaterThan(100);
  });
});

describe.runIf(doc)('the contract checker', () => {
  const d = doc as NonNullable<typeof doc>;
  const op = (method: string, path: string) => {
    const found = operationForRequest(d, method, path);
    if (!found) throw new Error(`no operation for ${method} ${path}`);
    return found;
  };

  it('finds the operation of a request, literal segments before parameters', () => {
    expect(op('GET', '/api/management/v1/deployments/deployments/releases').key).toBe(
      'GET /api/management/v1/deployments/deployments/releases',
    );
    expect(op('GET', '/api/management/v1/deployments/deployments/abc').key).toBe(
      'GET /api/management/v1/deployments/deployments/{id}',
    );
    expect(operationForRequest(d, 'GET', '/api/management/v1/nothing/here')).toBeUndefined();
    expect(
      routeServes(
        '/api/management/v2/devauth/limits/:name',
        op('GET', '/api/management/v2/devauth/limits/max_devices'),
      ),
    ).toBe(true);
    expect(
      routeServes(
        '/api/management/v1/useradm/users/settings',
        op('GET', '/api/management/v1/useradm/users/me'),
      ),
    ).toBe(false);
  });

  it('flags undeclared statuses, bodies that miss what the schema requires, and wrong media types', () => {
    const check = createResponseChecker(d);
    const device = op('GET', '/api/management/v2/devauth/devices/x');
    const error = JSON.stringify({ error: 'device not found', request_id: 'r' });
    expect(check(device, 404, 'application/json; charset=utf-8', error)).toEqual([]);
    expect(check(device, 418, 'application/json', error).map((v) => v.kind)).toEqual(['status']);
    // An undeclared error status is still held to the error shape.
    expect(check(device, 418, 'application/json', '{"message":"x"}').map((v) => v.kind)).toEqual([
      'status',
      'body',
    ]);
    expect(
      check(device, 200, 'application/json', '{"identity_data":"not an object"}').length,
    ).toBeGreaterThan(0);
    expect(check(device, 200, 'text/plain', 'hello')).toMatchObject([{ kind: 'body' }]);
    // `nullable: true` (the next deployment of a device may be null) is honoured.
    const next = op('GET', '/api/devices/v1/deployments/device/deployments/next');
    const declared = check(next, 200, 'application/json', 'null');
    expect(declared.filter((v) => /type/.test(v.detail))).toEqual([]);
  });
});

/** The operations this walk must reach (`METHOD /path` of the document). */
const WALKED = [
  'POST /api/devices/v1/authentication/auth_requests',
  'PATCH /api/devices/v1/inventory/device/attributes',
  'PUT /api/devices/v1/inventory/device/attributes',
  'GET /api/devices/v1/deployments/device/deployments/next',
  'PUT /api/devices/v1/deployments/device/deployments/{id}/status',
  'PUT /api/devices/v1/deployments/device/deployments/{id}/log',
  'POST /api/management/v1/useradm/auth/login',
  'POST /api/management/v1/useradm/auth/logout',
  'GET /api/management/v1/useradm/users',
  'POST /api/management/v1/useradm/users',
  'GET /api/management/v1/useradm/users/{id}',
  'PUT /api/management/v1/useradm/users/{id}',
  'DELETE /api/management/v1/useradm/users/{id}',
  'GET /api/management/v1/useradm/users/me',
  'PUT /api/management/v1/useradm/users/me',
  'GET /api/management/v1/useradm/settings',
  'POST /api/management/v1/useradm/settings',
  'GET /api/management/v1/useradm/settings/me',
  'POST /api/management/v1/useradm/settings/me',
  'GET /api/management/v1/useradm/settings/tokens',
  'POST /api/management/v1/useradm/settings/tokens',
  'DELETE /api/management/v1/useradm/settings/tokens/{id}',
  'GET /api/management/v2/devauth/devices',
  'POST /api/management/v2/devauth/devices',
  'POST /api/management/v2/devauth/devices/search',
  'GET /api/management/v2/devauth/devices/{id}',
  'DELETE /api/management/v2/devauth/devices/{id}',
  'DELETE /api/management/v2/devauth/devices/{id}/auth/{aid}',
  'GET /api/management/v2/devauth/devices/{id}/auth/{aid}/status',
  'PUT /api/management/v2/devauth/devices/{id}/auth/{aid}/status',
  'GET /api/management/v2/devauth/devices/count',
  'DELETE /api/management/v2/devauth/tokens/{id}',
  'GET /api/management/v2/devauth/limits/max_devices',
  'GET /api/management/v1/inventory/devices',
  'GET /api/management/v1/inventory/devices/{id}',
  'DELETE /api/management/v1/inventory/devices/{id}',
  'PUT /api/management/v1/inventory/devices/{id}/tags',
  'PATCH /api/management/v1/inventory/devices/{id}/tags',
  'GET /api/management/v1/inventory/devices/{id}/group',
  'PUT /api/management/v1/inventory/devices/{id}/group',
  'DELETE /api/management/v1/inventory/devices/{id}/group/{name}',
  'GET /api/management/v1/inventory/groups',
  'DELETE /api/management/v1/inventory/groups/{name}',
  'GET /api/management/v1/inventory/groups/{name}/devices',
  'DELETE /api/management/v1/inventory/groups/{name}/devices',
  'PATCH /api/management/v1/inventory/groups/{name}/devices',
  'GET /api/management/v2/inventory/filters/attributes',
  'POST /api/management/v2/inventory/filters/search',
  'POST /api/management/v1/deployments/artifacts',
  'GET /api/management/v1/deployments/artifacts',
  'GET /api/management/v1/deployments/artifacts/list',
  'GET /api/management/v1/deployments/artifacts/{id}',
  'PUT /api/management/v1/deployments/artifacts/{id}',
  'GET /api/management/v1/deployments/artifacts/{id}/download',
  'DELETE /api/management/v1/deployments/artifacts/{id}',
  'GET /api/management/v1/deployments/deployments/releases',
  'GET /api/management/v2/deployments/deployments/releases',
  'GET /api/management/v2/deployments/deployments/releases/{release_name}',
  'PATCH /api/management/v2/deployments/deployments/releases/{release_name}',
  'PUT /api/management/v2/deployments/deployments/releases/{release_name}/tags',
  'GET /api/management/v2/deployments/releases/all/tags',
  'GET /api/management/v2/deployments/releases/all/types',
  'DELETE /api/management/v2/deployments/deployments/releases',
  'POST /api/management/v1/deployments/deployments',
  'POST /api/management/v1/deployments/deployments/group/{name}',
  'GET /api/management/v1/deployments/deployments',
  'GET /api/management/v1/deployments/deployments/{id}',
  'GET /api/management/v1/deployments/deployments/{deployment_id}/statistics',
  'POST /api/management/v1/deployments/deployments/statistics/list',
  'GET /api/management/v1/deployments/deployments/{deployment_id}/devices',
  'GET /api/management/v1/deployments/deployments/{deployment_id}/devices/list',
  'GET /api/management/v1/deployments/deployments/{id}/device_list',
  'GET /api/management/v1/deployments/deployments/{deployment_id}/devices/{device_id}/log',
  'GET /api/management/v1/deployments/deployments/devices/{id}',
  'PUT /api/management/v1/deployments/deployments/{deployment_id}/status',
  'GET /api/management/v2/deployments/deployments',
  'GET /api/management/v2/deployments/artifacts',
  'GET /api/management/v1/deployments/deployments/releases/list',
  'GET /api/management/v2/inventory/statistics',
  'GET /api/management/v1/iot-manager/integrations',
];

describe.each(doc ? dialects() : [])("Mender's operations against its OpenAPI document, on %s", (dialect) => {
  let t: TestServer;
  const reached = new Set<string>();

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      app: {
        observeResponse: (req) => {
          const op = doc && operationForRequest(doc, req.method, req.url.split('?')[0] ?? '');
          if (op && req.routeOptions.url) reached.add(op.key);
        },
      },
    });
  });
  afterAll(async () => t?.close());

  const send = async (opts: InjectOptions, expected: number) => {
    const res = await t.app.inject(opts);
    expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body.slice(0, 300)}`).toBe(expected);
    return res;
  };

  it('answers every step as the document describes it', async () => {
    const M = '/api/management';
    const DEV = '/api/devices/v1';
    const login = await send(
      {
        method: 'POST',
        url: `${M}/v1/useradm/auth/login`,
        headers: {
          authorization: `Basic ${Buffer.from('nobody@example.com:wrong password!').toString('base64')}`,
        },
      },
      401,
    );
    expect(login.json()).toMatchObject({ error: expect.any(String) });
    const admin = await adminToken(t.gh);
    const okLogin = await send(
      {
        method: 'POST',
        url: `${M}/v1/useradm/auth/login`,
        headers: {
          authorization: `Basic ${Buffer.from(`${admin.email}:${admin.password}`).toString('base64')}`,
        },
      },
      200,
    );
    const token = okLogin.body;
    const as = (tok: string) => (method: InjectOptions['method'], url: string, payload?: unknown) => ({
      method,
      url: `${M}${url}`,
      headers: bearer(tok),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    const mgmt = as(token);

    // Users, settings, personal access tokens.
    await send(mgmt('GET', '/v1/useradm/users'), 200);
    const created = await send(
      mgmt('POST', '/v1/useradm/users', {
        email: `walk-${dialect}@example.com`,
        password: 'a long enough password',
      }),
      201,
    );
    const userId = String(created.headers.location).split('/').pop() as string;
    await send(mgmt('GET', `/v1/useradm/users/${userId}`), 200);
    await send(mgmt('PUT', `/v1/useradm/users/${userId}`, { email: `walk2-${dialect}@example.com` }), 204);
    await send(mgmt('GET', `/v1/useradm/users/nonexistent-${dialect}`), 404);
    await send(mgmt('DELETE', `/v1/useradm/users/${userId}`), 204);
    await send(mgmt('GET', '/v1/useradm/users/me'), 200);
    await send(
      mgmt('PUT', '/v1/useradm/users/me', {
        password: 'another long password',
        current_password: admin.password,
      }),
      204,
    );
    const relogin = await send(
      {
        method: 'POST',
        url: `${M}/v1/useradm/auth/login`,
        headers: {
          authorization: `Basic ${Buffer.from(`${admin.email}:another long password`).toString('base64')}`,
        },
      },
      200,
    );
    const m = as(relogin.body);
    for (const url of ['/v1/useradm/settings', '/v1/useradm/settings/me']) {
      await send(m('GET', url), 200);
      await send(m('POST', url, { walk: true }), 201);
      await send(m('GET', url), 200);
    }
    const pat = await send(m('POST', '/v1/useradm/settings/tokens', { name: `walk-${dialect}` }), 200);
    const pats = await send(m('GET', '/v1/useradm/settings/tokens'), 200);
    const patId = (pats.json() as { id: string }[])[0]?.id as string;
    expect(pat.body.length).toBeGreaterThan(0);
    await send(m('DELETE', `/v1/useradm/settings/tokens/${patId}`), 204);

    // Devices: a pending one accepted by the operator, a preauthorized one that connects.
    const keys = makeDeviceKeys();
    await send(authRequest(keys, { mac: `walk-${dialect}-1` }), 401);
    const list = await send(m('GET', '/v2/devauth/devices?status=pending'), 200);
    const pending = (list.json() as { id: string; auth_sets: { id: string }[] }[])[0];
    const deviceId = pending?.id as string;
    const authId = pending?.auth_sets[0]?.id as string;
    await send(m('GET', `/v2/devauth/devices/${deviceId}`), 200);
    await send(m('GET', `/v2/devauth/devices/${deviceId}/auth/${authId}/status`), 200);
    await send(
      m('PUT', `/v2/devauth/devices/${deviceId}/auth/${authId}/status`, { status: 'accepted' }),
      204,
    );
    await send(m('GET', '/v2/devauth/devices/count?status=accepted'), 200);
    await send(m('POST', '/v2/devauth/devices/search', { status: 'accepted' }), 200);
    await send(m('GET', '/v2/devauth/limits/max_devices'), 200);
    const deviceToken = (await send(authRequest(keys, { mac: `walk-${dialect}-1` }), 200)).body;
    const device = (method: InjectOptions['method'], url: string, payload?: unknown) => ({
      method,
      url: `${DEV}${url}`,
      headers: bearer(deviceToken),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    const attributes = [
      { name: 'device_type', value: 'qemux86-64' },
      { name: 'artifact_name', value: 'walk-0' },
    ];
    await send(device('PATCH', '/inventory/device/attributes', attributes), 200);
    await send(device('PUT', '/inventory/device/attributes', attributes), 200);
    await send(
      device('GET', '/deployments/device/deployments/next?artifact_name=walk-0&device_type=qemux86-64'),
      204,
    );

    const preKeys = makeDeviceKeys();
    const pre = await send(
      m('POST', '/v2/devauth/devices', {
        identity_data: { mac: `walk-${dialect}-2` },
        pubkey: preKeys.publicPem,
      }),
      201,
    );
    const preId = String(pre.headers.location).split('/').pop() as string;
    await send(m('GET', `/v2/devauth/devices/${preId}`), 200);

    // Inventory: tags, groups, searches.
    await send(m('GET', '/v1/inventory/devices'), 200);
    await send(m('GET', `/v1/inventory/devices/${deviceId}`), 200);
    await send(m('PUT', `/v1/inventory/devices/${deviceId}/tags`, [{ name: 'site', value: 'lab' }]), 200);
    await send(m('PATCH', `/v1/inventory/devices/${deviceId}/tags`, [{ name: 'rack', value: '7' }]), 200);
    await send(m('PUT', `/v1/inventory/devices/${deviceId}/group`, { group: 'walkers' }), 204);
    await send(m('GET', `/v1/inventory/devices/${deviceId}/group`), 200);
    await send(m('GET', '/v1/inventory/groups'), 200);
    await send(m('GET', '/v1/inventory/groups/walkers/devices'), 200);
    await send(m('GET', '/v2/inventory/filters/attributes'), 200);
    const stats = (await send(m('GET', '/v2/inventory/statistics'), 200)).json() as {
      devices_by_status: { accepted: { standard: number }; pending: { standard: number } };
    };
    expect(stats.devices_by_status.accepted.standard).toBe(1);
    // The other device is preauthorized: neither accepted nor pending.
    expect(stats.devices_by_status.pending.standard).toBe(0);
    await send(
      m('POST', '/v2/inventory/filters/search', {
        page: 1,
        per_page: 20,
        filters: [{ scope: 'system', attribute: 'group', type: '$eq', value: 'walkers' }],
      }),
      200,
    );

    // Artifacts and releases.
    const artifact = readFileSync(
      makeSingleFileArtifact({ name: 'walk-1', deviceTypes: ['qemux86-64'], compression: 'none' }),
    );
    const { body, contentType } = await multipartUpload(artifact, { description: 'walk' });
    const uploaded = await send(
      {
        method: 'POST',
        url: `${M}/v1/deployments/artifacts`,
        headers: { ...bearer(relogin.body), 'content-type': contentType },
        payload: body,
      },
      201,
    );
    const artifactId = String(uploaded.headers.location).split('/').pop() as string;
    await send(m('GET', '/v1/deployments/artifacts'), 200);
    await send(m('GET', '/v1/deployments/artifacts/list'), 200);
    await send(m('GET', `/v1/deployments/artifacts/${artifactId}`), 200);
    await send(m('PUT', `/v1/deployments/artifacts/${artifactId}`, { description: 'walked' }), 204);
    await send(m('GET', `/v1/deployments/artifacts/${artifactId}/download`), 200);
    await send(m('GET', '/v1/deployments/deployments/releases'), 200);
    await send(m('GET', '/v2/deployments/deployments/releases'), 200);
    await send(m('GET', '/v2/deployments/deployments/releases/walk-1'), 200);
    await send(m('PATCH', '/v2/deployments/deployments/releases/walk-1', { notes: 'walked' }), 204);
    await send(m('PUT', '/v2/deployments/deployments/releases/walk-1/tags', ['walk']), 204);
    await send(m('GET', '/v2/deployments/releases/all/tags'), 200);
    await send(m('GET', '/v2/deployments/releases/all/types'), 200);
    const listed = await send(
      m('GET', '/v1/deployments/deployments/releases/list?name=walk&per_page=1'),
      200,
    );
    expect(listed.headers['x-total-count']).toBe('1');
    expect((listed.json() as { Name: string }[]).map((r) => r.Name)).toEqual(['walk-1']);
    for (const q of ['name=walk-1&name=other', 'name=walk*', 'description=walk*', 'device_type=qemux86-64']) {
      const v2 = await send(m('GET', `/v2/deployments/artifacts?${q}&page=1&per_page=5`), 200);
      expect(
        (v2.json() as { name: string }[]).map((a) => a.name),
        q,
      ).toEqual(['walk-1']);
      expect(v2.headers['x-total-count'], q).toBe('1');
    }
    await send(m('GET', '/v2/deployments/artifacts?name=walk'), 200);
    const second = await multipartUpload(
      readFileSync(
        makeSingleFileArtifact({ name: 'walk-2', deviceTypes: ['qemux86-64'], compression: 'none' }),
      ),
    );
    await send(
      {
        method: 'POST',
        url: `${M}/v1/deployments/artifacts`,
        headers: { ...bearer(relogin.body), 'content-type': second.contentType },
        payload: second.body,
      },
      201,
    );
    await send(m('DELETE', '/v2/deployments/deployments/releases?name=walk-2'), 204);
    await send(m('GET', '/v2/deployments/deployments/releases/walk-2'), 404);

    // A deployment to the device, which it installs and reports on.
    const deployment = await send(
      m('POST', '/v1/deployments/deployments', {
        name: 'walk',
        artifact_name: 'walk-1',
        devices: [deviceId],
      }),
      201,
    );
    const deploymentId = String(deployment.headers.location).split('/').pop() as string;
    await send(
      m('POST', '/v1/deployments/deployments/group/walkers', { name: 'walk-group', artifact_name: 'walk-1' }),
      201,
    );
    const next = await send(
      device('GET', '/deployments/device/deployments/next?artifact_name=walk-0&device_type=qemux86-64'),
      200,
    );
    const deviceDeploymentId = (next.json() as { id: string }).id;
    await send(
      device('PUT', `/deployments/device/deployments/${deviceDeploymentId}/status`, {
        status: 'downloading',
      }),
      204,
    );
    await send(
      device('PUT', `/deployments/device/deployments/${deviceDeploymentId}/log`, {
        messages: [{ timestamp: '2026-01-01T00:00:00Z', level: 'error', message: 'walk failed' }],
      }),
      204,
    );
    await send(
      device('PUT', `/deployments/device/deployments/${deviceDeploymentId}/status`, { status: 'failure' }),
      204,
    );
    await send(m('GET', '/v1/deployments/deployments'), 200);
    await send(m('GET', `/v1/deployments/deployments/${deploymentId}`), 200);
    const v2 = await send(
      m(
        'GET',
        `/v2/deployments/deployments?id=${deploymentId}&name=walk&name=walk-group&status=finished&type=software&created_after=0&sort=asc&page=1&per_page=5`,
      ),
      200,
    );
    expect((v2.json() as { id: string }[]).map((d) => d.id)).toEqual([deploymentId]);
    expect(v2.headers['x-total-count']).toBe('1');
    const both = await send(m('GET', '/v2/deployments/deployments?name=walk&name=walk-group'), 200);
    expect(both.headers['x-total-count']).toBe('2');
    expect((await send(m('GET', '/v2/deployments/deployments?type=configuration'), 200)).json()).toEqual([]);
    await send(m('GET', `/v1/deployments/deployments/${deploymentId}/statistics`), 200);
    await send(
      m('POST', '/v1/deployments/deployments/statistics/list', { deployment_ids: [deploymentId] }),
      200,
    );
    await send(m('GET', `/v1/deployments/deployments/${deploymentId}/devices`), 200);
    await send(m('GET', `/v1/deployments/deployments/${deploymentId}/devices/list`), 200);
    await send(m('GET', `/v1/deployments/deployments/${deploymentId}/device_list`), 200);
    await send(m('GET', `/v1/deployments/deployments/${deploymentId}/devices/${deviceId}/log`), 200);
    await send(m('GET', `/v1/deployments/deployments/devices/${deviceId}`), 200);
    const groupDeployments = (
      await send(m('GET', '/v1/deployments/deployments?name=walk-group'), 200)
    ).json() as {
      id: string;
    }[];
    await send(
      m('PUT', `/v1/deployments/deployments/${groupDeployments[0]?.id}/status`, { status: 'aborted' }),
      204,
    );
    await send(m('GET', '/v1/iot-manager/integrations'), 200);

    // Taking it apart again.
    await send(m('DELETE', `/v1/inventory/devices/${deviceId}/group/walkers`), 204);
    await send(m('PATCH', '/v1/inventory/groups/walkers/devices', [deviceId]), 200);
    await send(m('DELETE', '/v1/inventory/groups/walkers/devices', [deviceId]), 200);
    await send(m('PATCH', '/v1/inventory/groups/walkers/devices', [deviceId]), 200);
    await send(m('DELETE', '/v1/inventory/groups/walkers'), 200);
    await send(m('DELETE', `/v1/deployments/artifacts/${artifactId}`), 204);
    const jti = (
      JSON.parse(Buffer.from(deviceToken.split('.')[1] ?? '', 'base64url').toString()) as { jti: string }
    ).jti;
    await send(m('DELETE', `/v2/devauth/tokens/${jti}`), 204);
    const preSets = (await send(m('GET', `/v2/devauth/devices/${preId}`), 200)).json() as {
      auth_sets: { id: string }[];
    };
    await send(m('DELETE', `/v2/devauth/devices/${preId}/auth/${preSets.auth_sets[0]?.id}`), 204);
    await send(m('DELETE', `/v2/devauth/devices/${deviceId}`), 204);
    await send(m('DELETE', `/v1/inventory/devices/${deviceId}`), 404);
    await send(m('POST', '/v1/useradm/auth/logout'), 202);

    expect(takeContractViolations()).toEqual([]);
    expect(WALKED.filter((key) => !reached.has(key))).toEqual([]);
  }, 120_000);

  it('every operation of the walk is one of the document', () => {
    const keys = new Set(doc?.operations.map((op) => op.key));
    expect(WALKED.filter((key) => !keys.has(key))).toEqual([]);
  });
});

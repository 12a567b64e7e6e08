import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import {
  isSigned,
  type Responder,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/webhook-receiver.js';

const BASE = '/api/management/v1/allocation-webhooks';
const context = {
  registration_id: 'sensor-0042',
  identity: { serial: '0042', mac: '02:00:00:00:00:42' },
  certificate: {
    pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    subject: 'CN=sensor-0042',
    fingerprint: 'ab'.repeat(32),
  },
  enrollment: { group_id: 'eg-1', name: 'field sensors' },
  payload: { firmware: '1.2.3' },
};

describe.each(dialects())('allocation webhook on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  let receiver: WebhookReceiver;
  let hookId: string;
  let secret: string;
  let answer: Responder;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: { webhookAllowPrivateTargets: 'true' } });
    token = (await adminToken(t.gh)).token;
    receiver = await startWebhookReceiver({ respond: (r) => answer(r) });
    const r = await t.app.inject({
      method: 'POST',
      url: BASE,
      headers: bearer(token),
      payload: {
        url: `${receiver.url}/allocate?code=function-key`,
        description: 'allow-list',
        timeout_ms: 500,
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ timeout_ms: 500, description: 'allow-list' });
    hookId = r.json().id;
    secret = r.json().secret;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const allocate = () => t.gh.webhooks.allocation.allocate(DEFAULT_TENANT_ID, hookId, context);
  const lastEvent = async () => {
    const r = await t.app.inject({
      method: 'GET',
      url: '/api/management/v1/audit/events?type=allocation.*&per_page=1',
      headers: bearer(token),
    });
    return r.json()[0];
  };

  it('sends the device context, signed, and allows with overrides', async () => {
    answer = () => ({
      status: 200,
      body: JSON.stringify({
        decision: 'allow',
        group: 'field',
        tags: { site: 'north' },
        config: { mqtt: 'm.example' },
      }),
    });
    const before = receiver.requests.length;
    expect(await allocate()).toEqual({
      decision: 'allow',
      overrides: { group: 'field', tags: { site: 'north' }, bootstrap_config: { mqtt: 'm.example' } },
    });
    const req = receiver.requests[before];
    expect(req?.path).toBe('/allocate?code=function-key');
    expect(isSigned(req as never, secret)).toBe(true);
    expect(req?.headers['x-gatehouse-event']).toBe('allocation.request');
    expect(req?.json).toMatchObject({
      type: 'allocation.request',
      tenant_id: DEFAULT_TENANT_ID,
      device_id: null,
      data: context,
    });
    expect(req?.headers['x-gatehouse-delivery']).toBe(req?.json.id);
    const e = await lastEvent();
    expect(e).toMatchObject({
      type: 'allocation.allowed',
      data: {
        webhook_id: hookId,
        request_id: req?.json.id,
        registration_id: 'sensor-0042',
        status_code: 200,
        group: 'field',
        tags: { site: 'north' },
        config_overridden: true,
      },
    });
    // The config's contents may be secret: the event only says that it was overridden.
    expect(JSON.stringify(e)).not.toContain('m.example');
    expect(JSON.stringify(e)).not.toContain(secret);
  });

  it('allows with the short {"allow": true} answer', async () => {
    answer = () => ({ status: 200, body: '{"allow":true}' });
    expect(await allocate()).toEqual({ decision: 'allow' });
  });

  it('denies when the webhook says so, with its reason', async () => {
    answer = () => ({
      status: 200,
      body: JSON.stringify({ decision: 'deny', reason: 'serial not on the list' }),
    });
    expect(await allocate()).toEqual({
      decision: 'deny',
      reason: 'denied by allocation webhook: serial not on the list',
    });
    expect(await lastEvent()).toMatchObject({
      type: 'allocation.denied',
      data: { reason: 'denied by allocation webhook: serial not on the list', status_code: 200 },
    });
  });

  it('denies on a timeout (a receiver that never answers)', async () => {
    answer = () => 'hang';
    const started = Date.now();
    expect(await allocate()).toEqual({
      decision: 'deny',
      reason: 'allocation webhook timed out after 500 ms',
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await lastEvent()).toMatchObject({ type: 'allocation.denied', data: { status_code: null } });
  });

  it('denies on 5xx, malformed answers and unreachable or unknown webhooks', async () => {
    answer = () => ({ status: 503, body: '{"allow":true}' });
    expect(await allocate()).toEqual({ decision: 'deny', reason: 'allocation webhook answered HTTP 503' });
    answer = () => ({ status: 200, body: 'yes please' });
    expect(await allocate()).toEqual({
      decision: 'deny',
      reason: 'allocation webhook answer malformed: body is not JSON',
    });
    answer = () => ({ status: 200, body: '{"allow":true,"priority":1}' });
    expect(await allocate()).toMatchObject({
      decision: 'deny',
      reason: expect.stringMatching(/unknown field "priority"/),
    });
    answer = () => ({ status: 200, body: '{"decision":"allow","group":"no spaces"}' });
    expect(await allocate()).toMatchObject({ decision: 'deny', reason: expect.stringMatching(/"group"/) });
    answer = () => ({ status: 200, body: '' });
    expect((await allocate()).decision).toBe('deny');

    expect(
      await t.gh.webhooks.allocation.allocate(
        DEFAULT_TENANT_ID,
        '00000000-0000-4000-8000-00000000dead',
        context,
      ),
    ).toEqual({
      decision: 'deny',
      reason: 'allocation webhook not found',
    });
    // Another tenant's id is unknown here.
    const other = await t.gh.tenants.service.create({ name: 'other' });
    expect(await t.gh.webhooks.allocation.allocate(other.tenant.id, hookId, context)).toEqual({
      decision: 'deny',
      reason: 'allocation webhook not found',
    });

    await receiver.close();
    try {
      expect(await allocate()).toMatchObject({
        decision: 'deny',
        reason: expect.stringMatching(/unreachable: ECONNREFUSED/),
      });
    } finally {
      await receiver.restart();
    }
  });

  it('manages allocation webhooks: secret shown once, sealed at rest, test call, 404 across tenants', async () => {
    const get = await t.app.inject({ method: 'GET', url: `${BASE}/${hookId}`, headers: bearer(token) });
    expect(get.statusCode).toBe(200);
    expect(get.json()).not.toHaveProperty('secret');
    const row = await t.gh.store.db
      .selectFrom('allocation_webhooks')
      .selectAll()
      .where('id', '=', hookId)
      .executeTakeFirstOrThrow();
    expect(row.secret_sealed).not.toContain(secret);
    expect(row.secret_sealed.startsWith('v1.')).toBe(true);

    const list = await t.app.inject({ method: 'GET', url: BASE, headers: bearer(token) });
    expect(list.headers['x-total-count']).toBe('1');
    expect(JSON.stringify(list.json())).not.toContain(secret);

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `${BASE}/${hookId}`,
      headers: bearer(token),
      payload: { timeout_ms: 1000 },
    });
    expect(patched.json()).toMatchObject({ timeout_ms: 1000 });
    for (const bad of [{ timeout_ms: 50 }, { timeout_ms: 30_001 }, { url: 'ftp://x/' }, {}])
      expect(
        (
          await t.app.inject({
            method: 'PATCH',
            url: `${BASE}/${hookId}`,
            headers: bearer(token),
            payload: bad,
          })
        ).statusCode,
      ).toBe(400);

    const rotated = await t.app.inject({
      method: 'POST',
      url: `${BASE}/${hookId}/secret`,
      headers: bearer(token),
    });
    expect(rotated.statusCode).toBe(200);
    const newSecret = rotated.json().secret as string;
    expect(newSecret).not.toBe(secret);
    answer = () => ({ status: 200, body: '{"decision":"allow","tags":{"k":"v"}}' });
    const before = receiver.requests.length;
    const tested = await t.app.inject({
      method: 'POST',
      url: `${BASE}/${hookId}/test`,
      headers: bearer(token),
      payload: { registration_id: 'probe', identity: { serial: 'x' } },
    });
    expect(tested.statusCode, tested.body).toBe(200);
    expect(tested.json()).toEqual({ decision: 'allow', overrides: { tags: { k: 'v' } } });
    expect(isSigned(receiver.requests[before] as never, newSecret)).toBe(true);
    expect(isSigned(receiver.requests[before] as never, secret)).toBe(false);

    const other = await t.gh.tenants.service.create({ name: 'other-2' });
    const otherToken = (await adminToken(t.gh, { tenantId: other.tenant.id })).token;
    expect(
      (await t.app.inject({ method: 'GET', url: `${BASE}/${hookId}`, headers: bearer(otherToken) }))
        .statusCode,
    ).toBe(404);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `${BASE}/${hookId}`, headers: bearer(otherToken) }))
        .statusCode,
    ).toBe(404);

    const del = await t.app.inject({ method: 'DELETE', url: `${BASE}/${hookId}`, headers: bearer(token) });
    expect(del.statusCode).toBe(204);
    expect(
      (await t.app.inject({ method: 'GET', url: `${BASE}/${hookId}`, headers: bearer(token) })).statusCode,
    ).toBe(404);
    const types = (
      await t.app.inject({
        method: 'GET',
        url: '/api/management/v1/audit/events?type=allocation_webhook.*',
        headers: bearer(token),
      })
    )
      .json()
      .map((e: { type: string }) => e.type);
    expect(types).toEqual([
      'allocation_webhook.deleted',
      'allocation_webhook.secret_rotated',
      'allocation_webhook.updated',
      'allocation_webhook.created',
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { isSigned, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const WEBHOOKS = '/api/management/v1/webhooks';

describe.each(dialects())('webhook management on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: { webhookAllowPrivateTargets: 'true' } });
    token = (await adminToken(t.gh)).token;
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const call = (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: Record<string, unknown>,
    tok = token,
  ) => t.app.inject({ method, url, headers: bearer(tok), ...(payload === undefined ? {} : { payload }) });

  it('creates a webhook and shows its secret only once; the secret is sealed at rest', async () => {
    const r = await call('POST', WEBHOOKS, {
      url: `${receiver.url}/a`,
      event_types: ['device.accepted', 'deployment.*'],
    });
    expect(r.statusCode, r.body).toBe(201);
    const w = r.json();
    expect(w).toMatchObject({
      url: `${receiver.url}/a`,
      event_types: ['device.accepted', 'deployment.*'],
      description: '',
      enabled: true,
    });
    expect(w.secret).toMatch(/^gwhs_/);
    expect(r.headers.location).toBe(`${WEBHOOKS}/${w.id}`);

    const read = await call('GET', `${WEBHOOKS}/${w.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).not.toHaveProperty('secret');
    const list = await call('GET', WEBHOOKS);
    expect(list.headers['x-total-count']).toBe('1');
    expect(JSON.stringify(list.json())).not.toContain(w.secret);
    const row = await t.gh.store.db
      .selectFrom('webhook_subscriptions')
      .selectAll()
      .where('id', '=', w.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(w.secret);

    const audit = await call('GET', '/api/management/v1/audit/events?type=webhook.created');
    expect(audit.json()[0]).toMatchObject({ type: 'webhook.created', data: { webhook_id: w.id } });
    expect(JSON.stringify(audit.json())).not.toContain(w.secret);
  });

  it('refuses bad URLs, unknown event types and bad bodies', async () => {
    for (const [payload, pattern] of [
      [{ url: 'ftp://example.com/', event_types: ['*'] }, /only http and https/],
      [{ url: 'https://u:p@example.com/', event_types: ['*'] }, /credentials/],
      [{ url: `https://example.com/${'a'.repeat(2100)}`, event_types: ['*'] }, /url/],
      [{ url: 'https://example.com/', event_types: ['device.exploded'] }, /unknown event type/],
      [{ url: 'https://example.com/', event_types: [] }, /event_types/],
      [{ url: 'https://example.com/' }, /event_types/],
      [{ url: 'https://example.com/', event_types: ['*'], enabled: 'yes' }, /enabled/],
    ] as const) {
      const r = await call('POST', WEBHOOKS, payload as unknown as Record<string, unknown>);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().error).toMatch(pattern);
    }
  });

  it('pings a webhook (signed webhook.ping) and reports a dead one', async () => {
    const created = (
      await call('POST', WEBHOOKS, { url: `${receiver.url}/ping`, event_types: ['*'] })
    ).json();
    const before = receiver.requests.length;
    const ping = await call('POST', `${WEBHOOKS}/${created.id}/ping`);
    expect(ping.statusCode).toBe(200);
    expect(ping.json()).toMatchObject({ delivered: true, status_code: 204, error: null });
    const got = receiver.requests[before];
    expect(got?.json).toMatchObject({
      type: 'webhook.ping',
      device_id: null,
      data: { webhook_id: created.id },
    });
    expect(isSigned(got as never, created.secret)).toBe(true);

    const rotated = await call('POST', `${WEBHOOKS}/${created.id}/secret`);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().secret).not.toBe(created.secret);
    await call('POST', `${WEBHOOKS}/${created.id}/ping`);
    const after = receiver.requests.at(-1);
    expect(isSigned(after as never, rotated.json().secret)).toBe(true);
    expect(isSigned(after as never, created.secret)).toBe(false);

    await receiver.close();
    try {
      const dead = await call('POST', `${WEBHOOKS}/${created.id}/ping`);
      expect(dead.json()).toMatchObject({
        delivered: false,
        status_code: null,
        error: expect.stringMatching(/ECONNREFUSED/),
      });
    } finally {
      await receiver.restart();
    }
  });

  it('updates, disables and deletes; read-only users may only look; other tenants get 404', async () => {
    const created = (await call('POST', WEBHOOKS, { url: `${receiver.url}/u`, event_types: ['*'] })).json();
    const p = await call('PATCH', `${WEBHOOKS}/${created.id}`, {
      enabled: false,
      description: 'paused',
      event_types: ['device.*'],
    });
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json()).toMatchObject({ enabled: false, description: 'paused', event_types: ['device.*'] });
    expect((await call('PATCH', `${WEBHOOKS}/${created.id}`, {})).statusCode).toBe(400);

    const ro = (await adminToken(t.gh, { role: 'readonly' })).token;
    expect((await call('GET', `${WEBHOOKS}/${created.id}`, undefined, ro)).statusCode).toBe(200);
    expect((await call('GET', `${WEBHOOKS}/${created.id}/deliveries`, undefined, ro)).statusCode).toBe(200);
    expect(
      (await call('POST', WEBHOOKS, { url: 'https://example.com/', event_types: ['*'] }, ro)).statusCode,
    ).toBe(403);
    expect((await call('DELETE', `${WEBHOOKS}/${created.id}`, undefined, ro)).statusCode).toBe(403);

    const other = await t.gh.tenants.service.create({ name: 'elsewhere' });
    const otherToken = (await adminToken(t.gh, { tenantId: other.tenant.id })).token;
    for (const [m, u] of [
      ['GET', `${WEBHOOKS}/${created.id}`],
      ['GET', `${WEBHOOKS}/${created.id}/deliveries`],
      ['POST', `${WEBHOOKS}/${created.id}/ping`],
      ['POST', `${WEBHOOKS}/${created.id}/secret`],
      ['DELETE', `${WEBHOOKS}/${created.id}`],
    ] as const)
      expect((await call(m, u, undefined, otherToken)).statusCode, `${m} ${u}`).toBe(404);
    expect((await call('GET', WEBHOOKS, undefined, otherToken)).json()).toEqual([]);
    expect((await call('GET', `${WEBHOOKS}/not-a-uuid`)).statusCode).toBe(404);

    expect((await call('DELETE', `${WEBHOOKS}/${created.id}`)).statusCode).toBe(204);
    expect((await call('GET', `${WEBHOOKS}/${created.id}`)).statusCode).toBe(404);
  });

  it('refuses private targets when they are not allowed (the default)', async () => {
    const strict = await startTestGatehouse(dialect);
    try {
      const tok = (await adminToken(strict.gh)).token;
      for (const url of [
        'http://127.0.0.1:9/x',
        'http://localhost/x',
        'http://[::1]/x',
        'http://169.254.169.254/',
      ]) {
        const r = await strict.app.inject({
          method: 'POST',
          url: WEBHOOKS,
          headers: bearer(tok),
          payload: { url, event_types: ['*'] },
        });
        expect(r.statusCode, url).toBe(400);
        expect(r.json().error).toMatch(/loopback, private and reserved/);
      }
      const alloc = await strict.app.inject({
        method: 'POST',
        url: '/api/management/v1/allocation-webhooks',
        headers: bearer(tok),
        payload: { url: 'http://10.0.0.1/allocate' },
      });
      expect(alloc.statusCode).toBe(400);
    } finally {
      await strict.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventType } from '../../src/events/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { recordSyntheticEvent } from '../helpers/synthetic-events.js';

const AUDIT = '/api/management/v1/audit/events';
const T0 = Date.parse('2027-03-01T10:00:00.000Z');

describe.each(dialects())('audit log on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  let otherTenant: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { clock: manualClock(T0) });
    token = (await adminToken(t.gh)).token;
    otherTenant = (await t.gh.tenants.service.create({ name: 'other' })).tenant.id;
    const add = (tenantId: string, type: EventType, deviceId: string | null, minute: number) =>
      recordSyntheticEvent(t.gh.store.db, {
        tenantId,
        type,
        deviceId,
        payload: { minute },
        nowMs: T0 + minute * 60_000,
      });
    await add(DEFAULT_TENANT_ID, 'device.authset_pending', 'dev-1', 1);
    await add(DEFAULT_TENANT_ID, 'device.accepted', 'dev-1', 2);
    await add(DEFAULT_TENANT_ID, 'bootstrap.fetched', 'dev-1', 3);
    await add(DEFAULT_TENANT_ID, 'device.accepted', 'dev-2', 4);
    await add(DEFAULT_TENANT_ID, 'deployment.created', null, 5);
    await add(otherTenant, 'device.accepted', 'dev-9', 6);
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (query: string) =>
    t.app.inject({ method: 'GET', url: `${AUDIT}${query}`, headers: bearer(token) });
  const minutes = (r: Awaited<ReturnType<typeof get>>) =>
    (r.json() as { data: { minute?: number } }[])
      .filter((e) => e.data.minute !== undefined)
      .map((e) => e.data.minute);

  it("lists the tenant's events newest first, in the webhook body shape", async () => {
    const r = await get('?type=device.*&type=bootstrap.fetched&type=deployment.created');
    expect(r.statusCode).toBe(200);
    expect(minutes(r)).toEqual([5, 4, 3, 2, 1]);
    expect(r.json()[1]).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'device.accepted',
      tenant_id: DEFAULT_TENANT_ID,
      device_id: 'dev-2',
      created_at: '2027-03-01T10:04:00.000Z',
      data: { minute: 4 },
    });
  });

  it('filters by type (exact or prefix), device and time, and pages with headers', async () => {
    expect(minutes(await get('?type=device.accepted'))).toEqual([4, 2]);
    expect(minutes(await get('?type=device.*'))).toEqual([4, 2, 1]);
    expect(minutes(await get('?device_id=dev-1'))).toEqual([3, 2, 1]);
    expect(minutes(await get('?device_id=dev-1&type=bootstrap.fetched'))).toEqual([3]);
    expect(
      minutes(
        await get(
          '?since=2027-03-01T10:02:00Z&until=2027-03-01T11:04:00%2B01:00&type=device.*&type=bootstrap.*',
        ),
      ),
    ).toEqual([4, 3, 2]);
    const page = await get('?type=device.*&per_page=2&page=1');
    expect(minutes(page)).toEqual([4, 2]);
    expect(page.headers['x-total-count']).toBe('3');
    expect(String(page.headers.link)).toContain('rel="next"');
    expect(minutes(await get('?type=device.*&per_page=2&page=2'))).toEqual([1]);
  });

  it('never shows another tenant its events, and refuses bad filters', async () => {
    expect(minutes(await get('?device_id=dev-9'))).toEqual([]);
    const other = (await adminToken(t.gh, { tenantId: otherTenant })).token;
    const r = await t.app.inject({ method: 'GET', url: `${AUDIT}?type=device.*`, headers: bearer(other) });
    expect(minutes(r)).toEqual([6]);
    expect((await get('?since=yesterday')).statusCode).toBe(400);
    expect((await get('?until=2027-13-01')).statusCode).toBe(400);
    expect((await get('?per_page=501')).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'GET', url: AUDIT })).statusCode).toBe(401);
  });
});

describe.each(dialects())('refused auth requests in the audit log on %s', (dialect) => {
  let t: TestServer;
  let clock: ReturnType<typeof manualClock>;
  let operator: string;
  let tenant: { id: string; token: string; admin: string };

  beforeAll(async () => {
    clock = manualClock(T0);
    t = await startTestGatehouse(dialect, { clock });
    operator = (await adminToken(t.gh)).token;
    const created = await t.gh.tenants.service.create({ name: 'refused-auth' });
    tenant = {
      id: created.tenant.id,
      token: created.tenantToken,
      admin: (await adminToken(t.gh, { tenantId: created.tenant.id })).token,
    };
  });
  afterAll(async () => {
    await t?.close();
  });

  const keys = makeDeviceKeys();
  const ask = (tenantToken: string, address = '198.51.100.7', mac = 'refused-1') =>
    t.app.inject({ ...authRequest(keys, { mac }, { tenantToken }), remoteAddress: address });
  const refused = async (token: string) =>
    (
      await t.app.inject({
        method: 'GET',
        url: `${AUDIT}?type=device.auth_refused`,
        headers: bearer(token),
      })
    ).json() as { tenant_id: string; device_id: string | null; data: Record<string, unknown> }[];

  it('records an unknown tenant token once per token and source, in the default tenant, never the token', async () => {
    const garbage = 'not-a-tenant-token-at-all';
    for (let i = 0; i < 5; i++) expect((await ask(garbage)).statusCode).toBe(401);
    const events = await refused(operator);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenant_id: DEFAULT_TENANT_ID,
      device_id: null,
      data: {
        reason: 'invalid_token',
        tenant_token_sha256_prefix: expect.stringMatching(/^[0-9a-f]{12}$/),
        source_address: '198.51.100.7',
        identity_data: { mac: 'refused-1' },
      },
    });
    const raw = await t.gh.store.db.selectFrom('events').select('payload').execute();
    expect(raw.some((r) => r.payload.includes(garbage))).toBe(false);
    // Nothing else was stored for the device.
    expect(await t.gh.store.db.selectFrom('auth_sets').select('id').execute()).toEqual([]);
    // Another tenant's users do not see it.
    expect(await refused(tenant.admin)).toEqual([]);
  });

  it("records a replaced token in its tenant's log, and a flood of random tokens only a few times", async () => {
    const old = tenant.token;
    await t.gh.tenants.service.rotateTenantToken(tenant.id);
    expect((await ask(old, '203.0.113.9')).statusCode).toBe(401);
    expect(await refused(tenant.admin)).toMatchObject([
      { tenant_id: tenant.id, data: { reason: 'rotated_token', source_address: '203.0.113.9' } },
    ]);

    // One source sending random tokens: one event a minute at most.
    clock.advance(60 * 60_000);
    const before = (await refused(operator)).length;
    for (let i = 0; i < 20; i++) expect((await ask(`random-${i}`, '192.0.2.50')).statusCode).toBe(401);
    expect((await refused(operator)).length).toBe(before + 1);
    // After the window the same token from the same source is recorded again.
    clock.advance(11 * 60_000);
    expect((await ask('random-0', '192.0.2.50')).statusCode).toBe(401);
    expect((await refused(operator)).length).toBe(before + 2);
  });

  it('can be subscribed to by a webhook like any event', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/management/v1/webhooks',
      headers: bearer(operator),
      payload: { url: 'https://hooks.example.com/refused', event_types: ['device.auth_refused'] },
    });
    expect(r.statusCode, r.body).toBe(201);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventType, recordEvent } from '../../src/events/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

const AUDIT = '/api/management/v1/audit/events';
const T0 = Date.parse('2027-03-01T10:00:00.000Z');

describe.each(dialects())('audit log on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  let otherTenant: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { clock: manualClock(T0) });
    token = (await adminToken(t.gh)).token;
    otherTenant = (await t.gh.tenants.create({ name: 'other' })).tenant.id;
    const add = (tenantId: string, type: EventType, deviceId: string | null, minute: number) =>
      recordEvent(t.gh.store.db, {
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

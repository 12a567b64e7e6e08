import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/index.js';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// Floods of auth requests from unknown identities (docs/limits.md): rates per source address and
// per tenant, the cap on pending auth sets, and admitted devices untouched by any of it.
const PER_ADDRESS = 10;
const PER_TENANT = 25;
const CAP = 40;
const DEVAUTH = '/api/management/v2/devauth';

describe.each(dialects())('floods of unknown devices on %s', (dialect) => {
  const clock = manualClock();
  let t: TestServer;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      clock,
      flags: {
        authUnknownPerAddressPerMinute: String(PER_ADDRESS),
        authUnknownPerTenantPerMinute: String(PER_TENANT),
        maxPendingAuthSets: String(CAP),
      },
    });
  });
  afterAll(() => t.close());

  const newTenant = async (name: string) => {
    const { tenant, tenantToken } = await t.gh.tenants.service.create({ name });
    const admin = (await adminToken(t.gh, { tenantId: tenant.id })).token;
    const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
      t.app.inject({
        method,
        url: `${DEVAUTH}${url}`,
        headers: bearer(admin),
        ...(payload ? { payload } : {}),
      });
    /** A device's signed auth request from `address` (a fresh identity and key unless given). */
    const auth = (address: string, device = { keys: makeDeviceKeys(), mac: `flood-${++seq}` }) =>
      t.app.inject({
        ...authRequest(device.keys, { mac: device.mac }, { tenantToken }),
        remoteAddress: address,
      });
    /** A preauthorized device; its first auth request accepts it. */
    const admitted = async () => {
      const device = { keys: makeDeviceKeys(), mac: `admitted-${++seq}` };
      const res = await call('POST', '/devices', {
        identity_data: { mac: device.mac },
        pubkey: device.keys.publicPem,
      });
      expect(res.statusCode).toBe(201);
      return device;
    };
    const pendingCount = async () =>
      Number(
        (
          await t.gh.store.db
            .selectFrom('auth_sets')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('tenant_id', '=', tenant.id)
            .where('status', '=', 'pending')
            .executeTakeFirstOrThrow()
        ).n,
      );
    return { id: tenant.id, call, auth, admitted, pendingCount };
  };

  it('answers 429 with Retry-After beyond the rate per address; admitted and pending devices there are not throttled', async () => {
    const tenant = await newTenant('per-address');
    const device = await tenant.admitted();
    const known = { keys: makeDeviceKeys(), mac: 'known-pending' };
    const statuses: number[] = [];
    expect((await tenant.auth('10.0.0.1', known)).statusCode).toBe(401);
    for (let i = 1; i < PER_ADDRESS + 5; i++) {
      const res = await tenant.auth('10.0.0.1');
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(res.json()).toEqual({
          error: 'dev auth: too many auth requests from unknown devices, retry later',
          request_id: expect.any(String),
        });
      }
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(PER_ADDRESS - 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    expect(await tenant.pendingCount()).toBe(PER_ADDRESS);
    // At the same address: the admitted device gets its token, the pending one its usual 401.
    for (let i = 0; i < 3; i++) {
      const ok = await tenant.auth('10.0.0.1', device);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['content-type']).toMatch(/^application\/jwt/);
      expect((await tenant.auth('10.0.0.1', known)).statusCode).toBe(401);
    }
    // Another address is not affected; the first gets a token back each 60/PER_ADDRESS seconds.
    expect((await tenant.auth('10.0.0.2')).statusCode).toBe(401);
    clock.advance((60 / PER_ADDRESS) * 1000);
    expect((await tenant.auth('10.0.0.1')).statusCode).toBe(401);
    expect((await tenant.auth('10.0.0.1')).statusCode).toBe(429);
  });

  it('answers 429 beyond the rate per tenant, from any number of addresses', async () => {
    clock.advance(60_000);
    const tenant = await newTenant('per-tenant');
    const statuses: number[] = [];
    for (let a = 1; a <= 4; a++)
      for (let i = 0; i < 8; i++) statuses.push((await tenant.auth(`10.1.0.${a}`)).statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(PER_TENANT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(32 - PER_TENANT);
    expect(await tenant.pendingCount()).toBe(PER_TENANT);
    // Another tenant has its own budget.
    expect((await (await newTenant('other')).auth('10.1.0.9')).statusCode).toBe(401);
  });

  it('caps pending auth sets per tenant: 429, nothing stored, one event, admitted devices unaffected', async () => {
    clock.advance(60_000);
    const tenant = await newTenant('cap');
    const device = await tenant.admitted();
    const known = { keys: makeDeviceKeys(), mac: 'cap-known' };
    expect((await tenant.auth('10.2.0.1', known)).statusCode).toBe(401);
    const statuses: number[] = [];
    // Batches within the rates: 6 addresses x 4, then a minute later the same again.
    for (let batch = 0; batch < 3; batch++) {
      clock.advance(60_000);
      for (let a = 1; a <= 6; a++)
        for (let i = 0; i < 4; i++) {
          const res = await tenant.auth(`10.2.${batch}.${a}`);
          statuses.push(res.statusCode);
          if (res.statusCode === 429) {
            expect(res.headers['retry-after']).toBe('60');
            expect(res.json().error).toBe('dev auth: too many pending devices, retry later');
          }
        }
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(CAP - 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3 * 24 - (CAP - 1));
    expect(await tenant.pendingCount()).toBe(CAP);
    const capEvents = (await listEvents(t.gh.store.db, tenant.id, { limit: 1000 })).filter(
      (e) => e.type === 'device.pending_cap_reached',
    );
    expect(capEvents).toHaveLength(1);
    expect(capEvents[0]?.payload).toEqual({ max_pending_auth_sets: CAP, pending_auth_sets: CAP });
    // Admitted devices get tokens, pending ones their 401, at the cap.
    expect((await tenant.auth('10.2.9.9', device)).statusCode).toBe(200);
    expect((await tenant.auth('10.2.9.9', known)).statusCode).toBe(401);
    // Rejecting a pending device makes room for one more.
    const list = (await tenant.call('GET', '/devices?status=pending&per_page=1')).json() as {
      id: string;
      auth_sets: { id: string }[];
    }[];
    const victim = list[0] as { id: string; auth_sets: { id: string }[] };
    const reject = await tenant.call('PUT', `/devices/${victim.id}/auth/${victim.auth_sets[0]?.id}/status`, {
      status: 'rejected',
    });
    expect(reject.statusCode).toBe(204);
    clock.advance(60_000);
    expect((await tenant.auth('10.2.9.1')).statusCode).toBe(401);
    expect((await tenant.auth('10.2.9.2')).statusCode).toBe(429);
    expect(await tenant.pendingCount()).toBe(CAP);
    // The event is written at most once an hour.
    clock.advance(3_600_000);
    expect((await tenant.auth('10.2.9.3')).statusCode).toBe(429);
    expect((await tenant.auth('10.2.9.4')).statusCode).toBe(429);
    const again = (await listEvents(t.gh.store.db, tenant.id, { limit: 1000 })).filter(
      (e) => e.type === 'device.pending_cap_reached',
    );
    expect(again).toHaveLength(2);
  });

  it('holds the cap exactly under concurrent requests', async () => {
    clock.advance(60_000);
    const tenant = await newTenant('cap-race');
    for (let a = 0; a < 7; a++) {
      // 35 pending, within the rates: 5 a minute from each of 7 addresses.
      clock.advance(60_000 / 5);
      for (let i = 0; i < 5; i++) expect((await tenant.auth(`10.3.0.${a}`)).statusCode).toBe(401);
    }
    clock.advance(60_000);
    // 35 pending; 25 at once (the tenant's rate), of which only 5 fit.
    const results = await Promise.all(
      Array.from({ length: PER_TENANT }, (_, i) => tenant.auth(`10.3.1.${i}`)),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(CAP - 35);
    expect(statuses.filter((s) => s === 429)).toHaveLength(PER_TENANT - (CAP - 35));
    expect(await tenant.pendingCount()).toBe(CAP);
  });
});

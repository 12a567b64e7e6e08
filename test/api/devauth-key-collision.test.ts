import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { rowCounts } from '../helpers/rows.js';

/**
 * One device per public key in a tenant (docs/conflicts.md, ADR 13), request by request; the
 * concurrent versions are in test/race/.
 */
describe.each(dialects())('one device per public key on %s', (dialect) => {
  let t: TestServer;
  let admin: string;
  const clock = manualClock();
  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { clock });
    admin = (await adminToken(t.gh)).token;
  });
  afterAll(() => t.close());

  const preauth = (identity: Record<string, unknown>, pubkey: string, force?: boolean) =>
    t.app.inject({
      method: 'POST',
      url: '/api/management/v2/devauth/devices',
      headers: bearer(admin),
      payload: { identity_data: identity, pubkey, ...(force === undefined ? {} : { force }) },
    });
  const collisions = async () =>
    (await listEvents(t.gh.store.db, DEFAULT_TENANT_ID, { limit: 10_000 })).filter(
      (e) => e.type === 'device.key_collision',
    );

  it('refuses an auth request with another device’s key: 401, no row, one event per window', async () => {
    const keys = makeDeviceKeys('ed25519');
    expect((await t.app.inject(authRequest(keys, { mac: 'holder' }))).statusCode).toBe(401);
    const holder = (
      await t.gh.devauth.admin.listDevices(DEFAULT_TENANT_ID, { page: { page: 1, perPage: 500 } })
    ).devices.find((d) => d.identity.mac === 'holder');
    expect(holder?.authSets).toHaveLength(1);
    const before = await rowCounts(t.gh);
    const eventsBefore = (await collisions()).length;

    for (const mac of ['other-1', 'other-2', 'other-1']) {
      const res = await t.app.inject(authRequest(keys, { mac }));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'dev auth: unauthorized', request_id: expect.any(String) });
    }
    const after = await rowCounts(t.gh);
    expect({ ...after, events: 0 }).toEqual({ ...before, events: 0 });
    const events = (await collisions()).slice(eventsBefore);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      deviceId: holder?.id,
      payload: { identity_data: { mac: 'other-1' }, key_type: 'ed25519' },
    });
    expect(after.events).toBe(before.events + 1);

    // A window later the collision is reported again.
    clock.advance(10 * 60_000 + 1);
    expect((await t.app.inject(authRequest(keys, { mac: 'other-3' }))).statusCode).toBe(401);
    expect((await collisions()).length).toBe(eventsBefore + 2);
    // The holder itself is unaffected: same identity and key → still its one pending auth set.
    expect((await t.app.inject(authRequest(keys, { mac: 'holder' }))).statusCode).toBe(401);
    expect((await rowCounts(t.gh)).auth_sets).toBe(after.auth_sets);
  });

  it('preauthorization: 409 for a key another device holds, with or without force', async () => {
    const keys = makeDeviceKeys('ec');
    expect((await preauth({ mac: 'p-1' }, keys.publicPem)).statusCode).toBe(201);
    expect((await preauth({ mac: 'p-2' }, makeDeviceKeys('ed25519').publicPem)).statusCode).toBe(201);
    const before = await rowCounts(t.gh);
    for (const [mac, force] of [
      ['p-new', undefined],
      ['p-2', true],
    ] as const) {
      const res = await preauth({ mac }, keys.publicPem, force);
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({
        error: expect.stringMatching(/^public key is already in use by device [0-9a-f-]{36}$/),
        request_id: expect.any(String),
      });
    }
    expect(await rowCounts(t.gh)).toEqual(before);
    // The same key again for its own identity, with force, is no conflict (idempotent).
    expect((await preauth({ mac: 'p-1' }, keys.publicPem, true)).statusCode).toBe(201);
    expect((await rowCounts(t.gh)).auth_sets).toBe(before.auth_sets);
  });
});

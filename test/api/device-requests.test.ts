import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareKnownAuthSetLookup } from '../../src/devauth/devauth-repo-known.js';
import { insertDeviceToken, prepareLiveTokenLookup } from '../../src/devauth/devauth-repo-tokens.js';
import { canonicalIdentity } from '../../src/devauth/identity.js';
import { parseDevicePublicKey } from '../../src/devauth/pubkey.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, authRequestBody, makeDeviceKeys, signBody } from '../helpers/device-client.js';
import { gatedReads } from '../helpers/gated-reads.js';
import { bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { jwtPayload } from '../helpers/rows.js';

describe.each(dialects())('device requests on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t.close());

  const admit = async (mac: string) => {
    const keys = makeDeviceKeys();
    const pre = await t.gh.devauth.admin.preauthorize(DEFAULT_TENANT_ID, {
      identityData: { mac },
      pubkey: keys.publicPem,
    });
    const res = await t.app.inject(authRequest(keys, { mac }));
    expect(res.statusCode).toBe(200);
    return { keys, token: res.body, deviceId: pre.deviceId, authSetId: pre.authSetId };
  };

  it('survives overlapping inventory reports of one device (no unique violations)', async () => {
    const d = await admit('concurrent');
    const put = (i: number) =>
      t.app.inject({
        method: 'PUT',
        url: '/api/devices/v1/inventory/device/attributes',
        headers: bearer(d.token),
        payload: [
          { name: 'device_type', value: 'qemux86-64' },
          { name: 'n', value: i },
          ...(i % 2 ? [{ name: 'odd', value: 'yes' }] : []),
        ],
      });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => put(i)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(30).fill(200));
    // PUT replaces the scope: after one final report only its attributes remain.
    await put(100);
    const attrs = (await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, d.deviceId)).filter(
      (a) => a.scope === 'inventory',
    );
    expect(attrs.map((a) => [a.name, a.value])).toEqual([
      ['device_type', 'qemux86-64'],
      ['n', 100],
    ]);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: '/api/devices/v1/inventory/device/attributes',
      headers: bearer(d.token),
      payload: [{ name: 'extra', value: ['a', 'b'] }],
    });
    expect(patch.statusCode).toBe(200);
    expect(
      (await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, d.deviceId))
        .filter((a) => a.scope === 'inventory')
        .map((a) => a.name),
    ).toEqual(['device_type', 'extra', 'n']);
  });

  it('records the check-in time of a polling device', async () => {
    const d = await admit('check-in');
    await t.gh.store.db
      .updateTable('devices')
      .set({ check_in_at: null })
      .where('id', '=', d.deviceId)
      .execute();
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/devices/v1/inventory/device/attributes',
      headers: bearer(d.token),
      payload: [],
    });
    expect(res.statusCode).toBe(200);
    // Written in batches off the request path (every few seconds); flush now instead of waiting.
    await t.gh.devauth.checkIns.flush();
    const checkInAt = (await t.gh.devauth.admin.getDevice(DEFAULT_TENANT_ID, d.deviceId)).checkInAt;
    expect(checkInAt).toEqual(expect.any(Number));
    const email = `check-in-${dialect}@example.com`;
    await t.gh.users.service.create({ tenantId: DEFAULT_TENANT_ID, email, password: 'long enough password' });
    const userToken = await t.gh.users.service.login(email, 'long enough password');
    const wire = await t.app.inject({
      method: 'GET',
      url: `/api/management/v2/devauth/devices/${d.deviceId}`,
      headers: bearer(userToken),
    });
    expect(wire.json().check_in_time).toBe(new Date(checkInAt as number).toISOString());
  });

  it('hands a young token back on re-authentication, and a fresh one once it is revoked', async () => {
    const d = await admit('reauth');
    const again = (await t.app.inject(authRequest(d.keys, { mac: 'reauth' }))).body;
    expect(again).toBe(d.token);
    await t.gh.devauth.admin.revokeToken(DEFAULT_TENANT_ID, jwtPayload(d.token).jti as string);
    const fresh = (await t.app.inject(authRequest(d.keys, { mac: 'reauth' }))).body;
    expect(fresh).not.toBe(d.token);
    expect(jwtPayload(fresh).jti).not.toBe(jwtPayload(d.token).jti);
  });

  it('checks the tokens of many devices asked for in one turn, each against its own row', async () => {
    const devices = await Promise.all(['turn-1', 'turn-2', 'turn-3', 'turn-4'].map((mac) => admit(mac)));
    await t.gh.devauth.admin.revokeToken(
      DEFAULT_TENANT_ID,
      jwtPayload(devices[3]?.token as string).jti as string,
    );
    const tokens = [...devices, ...devices].map((d) => d.token);
    const principals = await Promise.all(tokens.map((token) => t.gh.devauth.device.checkToken(token)));
    expect(principals.map((p) => p?.deviceId ?? null)).toEqual(
      [...devices, ...devices].map((d, i) => (i % 4 === 3 ? null : d.deviceId)),
    );
  });

  it('compares each of the inventory reports of one turn with its own device’s digest', async () => {
    const devices = await Promise.all(['digest-1', 'digest-2', 'digest-3'].map((mac) => admit(mac)));
    const first = [{ name: 'device_type', value: 'qemux86-64' }];
    for (const d of devices) {
      await t.gh.inventory.device.reportAttributes(DEFAULT_TENANT_ID, d.deviceId, first, 'replace');
    }
    // In one turn: device 1 unchanged, device 2 changed, device 3 unchanged again.
    const changed = [{ name: 'device_type', value: 'raspberrypi4' }];
    await Promise.all(
      devices.map((d, i) =>
        t.gh.inventory.device.reportAttributes(
          DEFAULT_TENANT_ID,
          d.deviceId,
          i === 1 ? changed : first,
          'replace',
        ),
      ),
    );
    const types = await Promise.all(
      devices.map(
        async (d) =>
          (await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, d.deviceId)).find(
            (a) => a.scope === 'inventory' && a.name === 'device_type',
          )?.value,
      ),
    );
    expect(types).toEqual(['qemux86-64', 'raspberrypi4', 'qemux86-64']);
  });

  it('never answers a token lookup from a read sent before it was asked for (ADR 4, batched lookups)', async () => {
    const d = await admit('batched-revocation');
    const jti = jwtPayload(d.token).jti as string;
    // The first lookup's read is still on its way back when the token is revoked.
    const gate = gatedReads(t.gh.store);
    const lookup = prepareLiveTokenLookup(gate.store);
    const before = lookup(jti, Date.now());
    await gate.untilHeld();
    expect(gate.held).toHaveLength(1);
    await t.gh.devauth.admin.revokeToken(DEFAULT_TENANT_ID, jti);
    gate.stopHolding();
    const after = lookup(jti, Date.now());
    gate.release();
    expect(await after).toBeUndefined();
    expect((await before)?.id).toBe(jti);
  });

  it('answers the auth requests of one turn each from its own auth set and token', async () => {
    const devices = await Promise.all(
      ['auth-turn-1', 'auth-turn-2', 'auth-turn-3', 'auth-turn-4'].map((mac) => admit(mac)),
    );
    // Device 2 rejected, device 3's young token revoked; 1 and 4 unchanged.
    const [, rejected, revoked] = devices as [(typeof devices)[0], (typeof devices)[0], (typeof devices)[0]];
    await t.gh.devauth.admin.setAuthSetStatus(
      DEFAULT_TENANT_ID,
      rejected.deviceId,
      rejected.authSetId,
      'rejected',
    );
    await t.gh.devauth.admin.revokeToken(DEFAULT_TENANT_ID, jwtPayload(revoked.token).jti as string);
    const ask = (d: (typeof devices)[0], mac: string) => {
      const body = authRequestBody({ mac }, d.keys.publicPem);
      return t.gh.devauth.device
        .authenticate({ body, signature: signBody(d.keys, body), bearer: undefined })
        .then(
          (token) => jwtPayload(token).jti as string,
          (e: Error) => `refused: ${e.message}`,
        );
    };
    const macs = devices.map((_, i) => `auth-turn-${i + 1}`);
    const answers = await Promise.all([...devices, ...devices].map((d, i) => ask(d, macs[i % 4] as string)));
    const jti = (d: (typeof devices)[0]) => jwtPayload(d.token).jti as string;
    for (const i of [0, 4]) {
      expect(answers[i]).toBe(jti(devices[0] as (typeof devices)[0]));
      expect(answers[i + 3]).toBe(jti(devices[3] as (typeof devices)[0]));
      expect(answers[i + 1]).toMatch(/^refused: .*rejected/);
      // A fresh token, never the revoked one.
      expect(answers[i + 2]).not.toMatch(/^refused/);
      expect(answers[i + 2]).not.toBe(jti(revoked));
    }
  });

  it('never answers an auth request from a read sent before it was asked for (ADR 4, batched lookups)', async () => {
    const d = await admit('batched-auth-revocation');
    const identitySha256 = canonicalIdentity({ mac: 'batched-auth-revocation' }).sha256;
    const pubkeySha256 = parseDevicePublicKey(d.keys.publicPem).sha256;
    const jti = jwtPayload(d.token).jti as string;
    const gate = gatedReads(t.gh.store);
    const lookup = prepareKnownAuthSetLookup(gate.store);
    const ask = () => lookup(DEFAULT_TENANT_ID, identitySha256, pubkeySha256, jti, Date.now());
    const before = ask();
    await gate.untilHeld();
    expect(gate.held).toHaveLength(1);
    await t.gh.devauth.admin.revokeToken(DEFAULT_TENANT_ID, jti);
    await t.gh.devauth.admin.setAuthSetStatus(DEFAULT_TENANT_ID, d.deviceId, d.authSetId, 'rejected');
    gate.stopHolding();
    const after = ask();
    gate.release();
    expect(await after).toMatchObject({ authSetId: d.authSetId, status: 'rejected', liveToken: false });
    expect(await before).toMatchObject({ authSetId: d.authSetId, status: 'accepted', liveToken: true });
  });

  it('keeps only the newest tokens of an auth set', async () => {
    const d = await admit('many-tokens');
    const now = Date.now();
    for (let i = 0; i < 7; i++) {
      await insertDeviceToken(
        t.gh.store.db,
        {
          id: randomUUID(),
          tenantId: DEFAULT_TENANT_ID,
          deviceId: d.deviceId,
          authSetId: d.authSetId,
          expiresAt: now + 1e9,
        },
        now + i + 1,
      );
    }
    const rows = await t.gh.store.db
      .selectFrom('device_tokens')
      .select('id')
      .where('auth_set_id', '=', d.authSetId)
      .execute();
    expect(rows).toHaveLength(5);
    const status = async (tok: string) =>
      (
        await t.app.inject({
          method: 'PUT',
          url: '/api/devices/v1/inventory/device/attributes',
          headers: bearer(tok),
          payload: [],
        })
      ).statusCode;
    expect(await status(d.token)).toBe(401);
  });

  it('caps the auth sets one identity can pile up with new keys', async () => {
    for (let i = 0; i < 22; i++) {
      expect((await t.app.inject(authRequest(makeDeviceKeys(), { mac: 'key-spammer' }))).statusCode).toBe(
        401,
      );
    }
    const { devices } = await t.gh.devauth.admin.listDevices(DEFAULT_TENANT_ID, {
      page: { page: 1, perPage: 500 },
    });
    const dev = devices.find((d) => d.identity.mac === 'key-spammer');
    expect(dev?.authSets).toHaveLength(20);
  });

  it('skips the write for an unchanged report, whatever the attribute order', async () => {
    const d = await admit('unchanged');
    const put = (payload: object[], method: 'PUT' | 'PATCH' = 'PUT') =>
      t.app.inject({
        method,
        url: '/api/devices/v1/inventory/device/attributes',
        headers: bearer(d.token),
        payload,
      });
    const a = { name: 'device_type', value: 'qemux86-64' };
    const b = { name: 'artifact_name', value: 'release-1' };
    expect((await put([a, b])).statusCode).toBe(200);
    const stamp = async () =>
      (await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, d.deviceId))
        .filter((a) => a.scope === 'inventory')
        .map((x) => `${x.name}@${x.updatedAt}`);
    const first = await stamp();
    await new Promise((r) => setTimeout(r, 5));
    expect((await put([b, a])).statusCode).toBe(200);
    expect(await stamp()).toEqual(first);
    // A partial update forgets the digest, so the next full report is written even if it repeats an earlier one.
    expect((await put([{ name: 'artifact_name', value: 'release-2' }], 'PATCH')).statusCode).toBe(200);
    expect((await put([a, b])).statusCode).toBe(200);
    const attrs = (await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, d.deviceId)).filter(
      (a) => a.scope === 'inventory',
    );
    expect(attrs.map((x) => [x.name, x.value])).toEqual([
      ['artifact_name', 'release-1'],
      ['device_type', 'qemux86-64'],
    ]);
  });

  it('mirrors identity and auth status into the inventory identity scope, in the same transaction', async () => {
    const keys = makeDeviceKeys();
    await t.app.inject(authRequest(keys, { mac: 'mirror', status: 'ignored', sn: ['a', 'b'] }));
    const [dev] = (
      await t.gh.devauth.admin.listDevices(DEFAULT_TENANT_ID, {
        page: { page: 1, perPage: 500 },
        statuses: ['pending'],
      })
    ).devices.filter((d) => d.identity.mac === 'mirror');
    const identity = async () =>
      Object.fromEntries(
        (await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, dev?.id as string))
          .filter((a) => a.scope === 'identity')
          .map((a) => [a.name, a.value]),
      );
    expect(await identity()).toEqual({ mac: 'mirror', sn: ['a', 'b'], status: 'pending' });
    await t.gh.devauth.admin.setAuthSetStatus(
      DEFAULT_TENANT_ID,
      dev?.id as string,
      dev?.authSets[0]?.id as string,
      'accepted',
    );
    expect((await identity()).status).toBe('accepted');
    await t.gh.devauth.admin.decommission(DEFAULT_TENANT_ID, dev?.id as string);
    expect(await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, dev?.id as string)).toEqual([]);
  });
});

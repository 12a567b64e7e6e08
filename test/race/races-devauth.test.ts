import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { authRequest, type DeviceKeys, makeDeviceKeys } from '../helpers/device-client.js';
import {
  CLUSTER_TIMEOUT_MS,
  type Cluster,
  CONCURRENCY,
  count,
  expectInvariants,
  RACE_TIMEOUT_MS,
  type Req,
  ROUNDS,
  race,
  send,
  startCluster,
  tally,
} from './race-harness.js';
import { issue, makeCa, makeCertKey, verificationCert } from './race-pki.js';

/**
 * Admission under concurrency (issue 8, docs/adr/0013-database-invariants.md): each race is
 * CONCURRENCY requests at once, alternating between two `gatehouse serve` processes on one
 * database, ROUNDS times. No answer may be a 5xx, the answers must be those of the same requests
 * in sequence, and afterwards every invariant holds, counted in the database.
 */
const DEVAUTH = '/api/management/v2/devauth';
const PKI = '/api/management/v1/pki';
const PROXY_FLAGS = ['--trusted-proxies', '127.0.0.1', '--client-cert-header', 'X-Client-Cert'];

// Five rounds of 50 concurrent requests (and device requests signed each), on a shared 2-core box.
vi.setConfig({ testTimeout: RACE_TIMEOUT_MS });

const tag = () => randomBytes(4).toString('hex');
const preauth = (identity: Record<string, unknown>, keys: DeviceKeys, force = false): Req => ({
  method: 'POST',
  path: `${DEVAUTH}/devices`,
  body: { identity_data: identity, pubkey: keys.publicPem, ...(force ? { force: true } : {}) },
});
const deviceAuth = (keys: DeviceKeys, identity: Record<string, unknown>, cert?: string): Req => {
  const r = authRequest(keys, identity);
  return {
    method: r.method,
    path: r.url,
    raw: r.payload,
    headers: { ...r.headers, ...(cert ? { 'x-client-cert': encodeURIComponent(cert) } : {}) },
    auth: false,
  };
};
const like = (t: string) => `%${t}%`;
/** What auth_sets.pubkey_sha256 holds: SHA-256 of the key's DER SubjectPublicKeyInfo. */
const keySha = (k: DeviceKeys) =>
  createHash('sha256')
    .update(createPublicKey(k.publicPem).export({ type: 'spki', format: 'der' }))
    .digest('hex');

describe.each(dialects())('admission races on %s (two serve processes)', (dialect) => {
  let c: Cluster;
  beforeAll(async () => {
    c = await startCluster(dialect, PROXY_FLAGS);
  }, CLUSTER_TIMEOUT_MS);
  afterAll(() => c?.close(), 60_000);

  const devicesLike = (t: string) =>
    count(c.sql, sql`select count(*) as n from devices where id_data like ${like(t)}`);
  const authSetsOfKey = (keys: DeviceKeys) =>
    count(c.sql, sql`select count(*) as n from auth_sets where pubkey_sha256 = ${keySha(keys)}`);

  it('preauthorizes one key under many identities once: 1 × 201, the rest 409', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = tag();
      const keys = makeDeviceKeys('ed25519');
      const res = await race(c, (i) => preauth({ mac: `${t}-${i}` }, keys));
      expect(tally(res)).toEqual({ 201: 1, 409: CONCURRENCY - 1 });
      expect(await authSetsOfKey(keys)).toBe(1);
      expect(await devicesLike(t)).toBe(1);
      await expectInvariants(c);
    }
  });

  it('preauthorizes one identity once, with one key or many; 409 names the device that won', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const sameKey of [true, false]) {
        const t = tag();
        const one = makeDeviceKeys('ed25519');
        const keys = Array.from({ length: CONCURRENCY }, () => (sameKey ? one : makeDeviceKeys('ed25519')));
        const res = await race(c, (i) => preauth({ mac: t }, keys[i] as DeviceKeys));
        expect(tally(res)).toEqual({ 201: 1, 409: CONCURRENCY - 1 });
        const { rows } = await sql<{
          id: string;
        }>`select id from devices where id_data like ${like(t)}`.execute(c.sql);
        expect(rows).toHaveLength(1);
        const winner = rows[0]?.id;
        const conflicts = res.filter((r) => r.status === 409).map((r) => JSON.parse(r.text).id);
        expect(new Set(conflicts)).toEqual(new Set([winner]));
        expect(
          await count(c.sql, sql`select count(*) as n from auth_sets where device_id = ${winner as string}`),
        ).toBe(1);
        await expectInvariants(c);
      }
    }
  });

  it('with force, adds each key to the one device of the identity', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const sameKey of [true, false]) {
        const t = tag();
        const one = makeDeviceKeys('ed25519');
        const keys = Array.from({ length: CONCURRENCY }, () => (sameKey ? one : makeDeviceKeys('ed25519')));
        const res = await race(c, (i) => preauth({ mac: t }, keys[i] as DeviceKeys, true));
        expect(tally(res)).toEqual({ 201: CONCURRENCY });
        expect(await devicesLike(t)).toBe(1);
        const sets = await count(
          c.sql,
          sql`select count(*) as n from auth_sets a join devices d on d.id = a.device_id
            where d.id_data like ${like(t)} and a.status = 'preauthorized'`,
        );
        expect(sets).toBe(sameKey ? 1 : CONCURRENCY);
        await expectInvariants(c);
      }
    }
  });

  it('records the first auth requests of one new device once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = tag();
      const keys = makeDeviceKeys('ed25519');
      const res = await race(c, () => deviceAuth(keys, { mac: t }));
      expect(tally(res)).toEqual({ 401: CONCURRENCY });
      expect(await devicesLike(t)).toBe(1);
      expect(await authSetsOfKey(keys)).toBe(1);
      const pending = await count(
        c.sql,
        sql`select count(*) as n from events e join devices d on d.id = e.device_id
          where e.type = 'device.authset_pending' and d.id_data like ${like(t)}`,
      );
      expect(pending).toBe(1);
      await expectInvariants(c);
    }
  });

  it('records one device for a key many identities present; the others leave no row, one event per process', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const t = tag();
      const keys = makeDeviceKeys('ed25519');
      const res = await race(c, (i) => deviceAuth(keys, { mac: `${t}-${i}` }));
      expect(tally(res)).toEqual({ 401: CONCURRENCY });
      expect(await authSetsOfKey(keys)).toBe(1);
      expect(await devicesLike(t)).toBe(1);
      const collisions = await count(
        c.sql,
        sql`select count(*) as n from events e join devices d on d.id = e.device_id
          where e.type = 'device.key_collision' and d.id_data like ${like(t)}`,
      );
      // Throttled per key and process: at most one event per serve process, at least one in all.
      expect(collisions).toBeGreaterThanOrEqual(1);
      expect(collisions).toBeLessThanOrEqual(c.servers.length);
      await expectInvariants(c);
    }
  });

  /** A device with `n` pending auth sets (one per key), recorded through its own auth requests. */
  const pendingDevice = async (n: number) => {
    const t = tag();
    const keys = Array.from({ length: n }, () => makeDeviceKeys('ed25519'));
    for (const [i, k] of keys.entries())
      expect((await send(c, i, deviceAuth(k, { mac: t }))).status).toBe(401);
    const { rows } = await sql<{ device_id: string; id: string; pubkey_sha256: string }>`
      select a.device_id, a.id, a.pubkey_sha256 from auth_sets a join devices d on d.id = a.device_id
      where d.id_data like ${like(t)}`.execute(c.sql);
    expect(rows).toHaveLength(n);
    const setOf = (k: DeviceKeys) => rows.find((r) => r.pubkey_sha256 === keySha(k))?.id as string;
    return { t, keys, deviceId: rows[0]?.device_id as string, sets: keys.map(setOf) };
  };
  const setStatus = (deviceId: string, authSetId: string, status: string): Req => ({
    method: 'PUT',
    path: `${DEVAUTH}/devices/${deviceId}/auth/${authSetId}/status`,
    body: { status },
  });

  it('accepts at most one auth set of a device, with device requests for every key in between', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const d = await pendingDevice(20);
      const res = await race(c, (i) =>
        i % 5 === 4
          ? deviceAuth(d.keys[i % 20] as DeviceKeys, { mac: d.t })
          : setStatus(d.deviceId, d.sets[i % 20] as string, 'accepted'),
      );
      const accepts = res.filter((_, i) => i % 5 !== 4);
      expect(tally(accepts)).toEqual({ 204: accepts.length });
      expect(res.every((r) => [200, 204, 401].includes(r.status))).toBe(true);
      const accepted = await count(
        c.sql,
        sql`select count(*) as n from auth_sets where device_id = ${d.deviceId} and status = 'accepted'`,
      );
      expect(accepted).toBe(1);
      await expectInvariants(c);
    }
  });

  it('accept against decommission: the device is gone with everything it had', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const d = await pendingDevice(1);
      const res = await race(c, (i) =>
        i % 2 === 0
          ? setStatus(d.deviceId, d.sets[0] as string, 'accepted')
          : { method: 'DELETE', path: `${DEVAUTH}/devices/${d.deviceId}` },
      );
      expect(res.every((r) => r.status === 204 || r.status === 404)).toBe(true);
      expect(res.filter((r, i) => i % 2 === 1 && r.status === 204)).toHaveLength(1);
      for (const table of ['devices', 'auth_sets', 'device_tokens', 'inventory_attributes'] as const) {
        const column = table === 'devices' ? 'id' : 'device_id';
        expect(
          await count(
            c.sql,
            sql`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} = ${d.deviceId}`,
          ),
          table,
        ).toBe(0);
      }
      await expectInvariants(c);
    }
  });

  describe('certificate admission', () => {
    let ca: Awaited<ReturnType<typeof makeCa>>;
    beforeAll(async () => {
      ca = await makeCa(`race-${tag()}`);
      const reg = await send(c, 0, { method: 'POST', path: `${PKI}/cas`, body: { certificate: ca.pem } });
      expect(reg.status, reg.text).toBe(201);
      const { id, verification_code: code } = JSON.parse(reg.text) as {
        id: string;
        verification_code: string;
      };
      const ok = await send(c, 1, {
        method: 'POST',
        path: `${PKI}/cas/${id}/verification`,
        body: { certificate: await verificationCert(ca, code) },
      });
      expect(ok.status, ok.text).toBe(200);
    });

    it('admits one device once from many concurrent first requests', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const cn = `race-${tag()}`;
        const key = await makeCertKey();
        const leaf = await issue(ca, cn, key.pair.publicKey);
        const res = await race(c, () => deviceAuth(key.device, { mac: cn }, leaf));
        expect(res.every((r) => r.status === 200 || r.status === 401)).toBe(true);
        expect(res.some((r) => r.status === 200)).toBe(true);
        expect(await devicesLike(cn)).toBe(1);
        expect(await authSetsOfKey(key.device)).toBe(1);
        expect(
          await count(
            c.sql,
            sql`select count(*) as n from enrollment_registrations where registration_id = ${cn}`,
          ),
        ).toBe(1);
        await expectInvariants(c);
      }
    });

    it('admits one device for a key that many certificates carry; the others leave no row', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const t = tag();
        const key = await makeCertKey();
        const leaves = await Promise.all(
          Array.from({ length: CONCURRENCY }, (_, i) => issue(ca, `${t}-${i}`, key.pair.publicKey)),
        );
        const res = await race(c, (i) => deviceAuth(key.device, { mac: t }, leaves[i]));
        expect(res.every((r) => r.status === 200 || r.status === 401)).toBe(true);
        expect(await authSetsOfKey(key.device)).toBe(1);
        expect(await devicesLike(t)).toBe(1);
        expect(
          await count(
            c.sql,
            sql`select count(*) as n from enrollment_registrations where registration_id like ${like(t)}`,
          ),
        ).toBe(1);
        await expectInvariants(c);
      }
    });
  });
});

import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { authRequest, type DeviceKeys, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { hasTool, openssl, pkiDir, run } from '../helpers/openssl.js';

// What the console shows of devices: key fingerprints and types (checked against openssl),
// why a device is pending, and the search of the device list (q, group, tag, X-Total-Count).

type AuthSetJson = { id: string; status: string; fingerprint: string; key_type: string; pubkey: string };
type DeviceJson = {
  id: string;
  status: string;
  identity_data: Record<string, unknown>;
  auth_sets: AuthSetJson[];
  pending_reason?: string;
};

const DEVAUTH = '/api/management/v2/devauth';
const haveOpenssl = hasTool('openssl');

/** A device key made by openssl, its public PEM, and what `openssl pkey -pubin -outform DER | sha256sum` prints. */
const opensslKey = (dir: string, name: string, genArgs: string[], kind: DeviceKeys['kind']) => {
  openssl(dir, ['genpkey', ...genArgs, '-out', `${name}.key`]);
  openssl(dir, ['pkey', '-in', `${name}.key`, '-pubout', '-out', `${name}.pub`]);
  const der = openssl(dir, ['pkey', '-pubin', '-in', `${name}.pub`, '-outform', 'DER']);
  const fingerprint = run('sha256sum', [], { input: der }).toString().split(' ')[0] as string;
  const keys: DeviceKeys = {
    kind,
    privateKey: createPrivateKey(readFileSync(join(dir, `${name}.key`))),
    publicPem: readFileSync(join(dir, `${name}.pub`), 'utf8'),
  };
  return { keys, fingerprint };
};

describe.each(dialects())('device list for the console on %s', (dialect) => {
  let t: TestServer;
  let admin: string;
  let tenantId: string;
  let tenantToken: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      flags: { authUnknownPerAddressPerMinute: '0', authUnknownPerTenantPerMinute: '0' },
    });
    const created = await t.gh.tenants.service.create({ name: 'console' });
    tenantId = created.tenant.id;
    tenantToken = created.tenantToken;
    admin = (await adminToken(t.gh, { tenantId })).token;
  });
  afterAll(() => t.close());

  const api = (method: 'GET' | 'PUT' | 'POST' | 'PATCH', url: string, payload?: unknown, token = admin) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const knock = (keys: DeviceKeys, identity: Record<string, unknown>) =>
    t.app.inject(authRequest(keys, identity, { tenantToken }));
  const all = async (query = '') => {
    const res = await api('GET', `${DEVAUTH}/devices?per_page=500${query}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as DeviceJson[];
  };
  const byIdentity = async (identity: Record<string, unknown>) =>
    (await all()).find((d) => JSON.stringify(d.identity_data) === JSON.stringify(identity)) as DeviceJson;
  const accept = async (d: DeviceJson, authSetId = d.auth_sets[0]?.id) => {
    const res = await api('PUT', `${DEVAUTH}/devices/${d.id}/auth/${authSetId}/status`, {
      status: 'accepted',
    });
    expect(res.statusCode, res.body).toBe(204);
  };

  it.skipIf(!haveOpenssl)(
    'answers the fingerprint openssl prints and the key type, for RSA, EC P-256 and Ed25519 keys',
    async () => {
      const dir = pkiDir();
      const kinds = [
        ['rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'rsa', 'rsa-2048'],
        ['ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ec', 'ec-p256'],
        ['ed', ['-algorithm', 'ed25519'], 'ed25519', 'ed25519'],
      ] as const;
      for (const [name, args, kind, keyType] of kinds) {
        const { keys, fingerprint } = opensslKey(dir, `fp-${name}`, [...args], kind);
        expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
        const identity = { mac: `fp-${name}` };
        expect((await knock(keys, identity)).statusCode).toBe(401);
        const device = await byIdentity(identity);
        expect(device.auth_sets).toHaveLength(1);
        expect(device.auth_sets[0]).toMatchObject({ fingerprint, key_type: keyType });
        // The same on the single-device route, and for a preauthorized key (PEM as the operator gave it).
        const one = (await api('GET', `${DEVAUTH}/devices/${device.id}`)).json() as DeviceJson;
        expect(one.auth_sets[0]?.fingerprint).toBe(fingerprint);
      }
      const { keys, fingerprint } = opensslKey(dir, 'fp-pre', ['-algorithm', 'ed25519'], 'ed25519');
      const pre = await api('POST', `${DEVAUTH}/devices`, {
        identity_data: { mac: 'fp-pre' },
        pubkey: keys.publicPem.replace(/\n/g, '\r\n'),
      });
      expect(pre.statusCode).toBe(201);
      expect((await byIdentity({ mac: 'fp-pre' })).auth_sets[0]).toMatchObject({
        fingerprint,
        key_type: 'ed25519',
        status: 'preauthorized',
      });
    },
  );

  it('names RSA keys by their size', async () => {
    for (const kind of ['rsa', 'rsa3072', 'ec384'] as const) {
      const identity = { mac: `size-${kind}` };
      await knock(makeDeviceKeys(kind), identity);
      const d = await byIdentity(identity);
      expect(d.auth_sets[0]?.key_type).toBe({ rsa: 'rsa-2048', rsa3072: 'rsa-3072', ec384: 'ec-p384' }[kind]);
    }
  });

  it('says why a device is pending: new device, new key, key collision; nothing otherwise', async () => {
    const first = makeDeviceKeys();
    await knock(first, { mac: 'why-1' });
    const fresh = await byIdentity({ mac: 'why-1' });
    expect(fresh.pending_reason).toBe('new_device');
    await accept(fresh);
    expect((await byIdentity({ mac: 'why-1' })).pending_reason).toBeUndefined();

    // The accepted device asks with another key: a key rotation.
    await knock(makeDeviceKeys(), { mac: 'why-1' });
    const rotated = await byIdentity({ mac: 'why-1' });
    expect(rotated.status).toBe('accepted');
    expect(rotated.auth_sets.map((a) => a.status).sort()).toEqual(['accepted', 'pending']);
    expect(rotated.pending_reason).toBe('new_key');
    const single = (await api('GET', `${DEVAUTH}/devices/${rotated.id}`)).json() as DeviceJson;
    expect(single.pending_reason).toBe('new_key');

    // A rejected key besides the pending one is a new key too.
    const twice = makeDeviceKeys();
    await knock(twice, { mac: 'why-2' });
    const two = await byIdentity({ mac: 'why-2' });
    await api('PUT', `${DEVAUTH}/devices/${two.id}/auth/${two.auth_sets[0]?.id}/status`, {
      status: 'rejected',
    });
    await knock(makeDeviceKeys(), { mac: 'why-2' });
    expect((await byIdentity({ mac: 'why-2' })).pending_reason).toBe('new_key');

    // Another identity presents the pending device's key: the holder is marked, whatever else holds.
    const held = makeDeviceKeys();
    await knock(held, { mac: 'why-3' });
    expect((await byIdentity({ mac: 'why-3' })).pending_reason).toBe('new_device');
    expect((await knock(held, { mac: 'why-3-impostor' })).statusCode).toBe(401);
    const collided = await byIdentity({ mac: 'why-3' });
    expect(collided.pending_reason).toBe('key_collision');
    expect(await byIdentity({ mac: 'why-3-impostor' })).toBeUndefined();
  });

  it('searches by device id prefix, fingerprint prefix, identity and inventory values, group and tag', async () => {
    const keys = makeDeviceKeys();
    const identity = { mac: 'AA:BB:CC:search-1', serial: 'SN-Quartz-77' };
    await knock(keys, identity);
    const d = await byIdentity(identity);
    await accept(d);
    const token = (await knock(keys, identity)).body;
    const report = await t.app.inject({
      method: 'PATCH',
      url: '/api/devices/v1/inventory/device/attributes',
      headers: bearer(token),
      payload: [
        { name: 'device_type', value: 'Raspberry-Zebra' },
        { name: 'kernel', value: '6.1_100%' },
      ],
    });
    expect(report.statusCode, report.body).toBe(200);
    expect(
      (
        await api('PUT', `/api/management/v1/inventory/devices/${d.id}/tags`, [
          { name: 'site', value: 'oslo' },
        ])
      ).statusCode,
    ).toBe(200);
    expect(
      (await api('PUT', `/api/management/v1/inventory/devices/${d.id}/group`, { group: 'north' })).statusCode,
    ).toBe(204);
    const other = { mac: 'search-2' };
    await knock(makeDeviceKeys(), other);

    const ids = async (query: string) => {
      const res = await api('GET', `${DEVAUTH}/devices?per_page=500&${query}`);
      expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
      const list = res.json() as DeviceJson[];
      expect(res.headers['x-total-count']).toBe(String(list.length));
      const count = await api('GET', `${DEVAUTH}/devices/count?${query.replace(/per_page=\d+&?/, '')}`);
      expect(count.json()).toEqual({ count: list.length });
      return list.map((x) => x.id);
    };
    const q = (text: string) => ids(`q=${encodeURIComponent(text)}`);

    expect(await q(d.id.slice(0, 8))).toContain(d.id);
    expect(await q(d.id.slice(0, 13).toUpperCase())).toEqual([d.id]);
    expect(await q(d.id)).toEqual([d.id]);
    const fp = d.auth_sets[0]?.fingerprint as string;
    expect(await q(fp.slice(0, 10))).toEqual([d.id]);
    expect(await q(fp.slice(0, 8).toUpperCase().match(/../g)?.join(':') as string)).toEqual([d.id]);
    expect(await q('quartz')).toEqual([d.id]);
    expect(await q('aa:bb:cc')).toEqual([d.id]);
    expect(await q('raspberry-z')).toEqual([d.id]);
    expect(await q('_100%')).toEqual([d.id]);
    expect(await q('%')).toEqual([d.id]);
    // The identity mirror of the auth status is not an attribute value to search.
    expect(await q('accepted')).toEqual([]);
    expect(await q('nothing-like-this')).toEqual([]);
    expect(await q('   ')).toHaveLength((await all()).length);

    expect(await ids('group=north')).toEqual([d.id]);
    expect(await ids('group=south')).toEqual([]);
    expect(await ids('tag=site')).toEqual([d.id]);
    expect(await ids('tag=site=oslo')).toEqual([d.id]);
    expect(await ids('tag=site=bergen')).toEqual([]);
    expect(await ids('group=north&status=pending')).toEqual([]);
    expect(await ids('q=search&status=pending')).toEqual([(await byIdentity(other)).id]);

    const paged = await api('GET', `${DEVAUTH}/devices?per_page=1&q=search`);
    expect(paged.headers['x-total-count']).toBe('2');
    expect(paged.json()).toHaveLength(1);
  });

  it('refuses oversized and malformed search parameters with 400', async () => {
    for (const query of [`q=${'x'.repeat(257)}`, 'tag=', 'tag==x', `group=${'g'.repeat(1025)}`]) {
      const res = await api('GET', `${DEVAUTH}/devices?${query}`);
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error).toEqual(expect.any(String));
    }
    expect((await api('GET', `${DEVAUTH}/devices/count?tag==x`)).statusCode).toBe(400);
    expect((await api('GET', `${DEVAUTH}/devices/count?status=bogus&q=x`)).statusCode).toBe(400);
  });

  it('keeps other tenants out of searches', async () => {
    const other = await t.gh.tenants.service.create({ name: 'console-other' });
    const keys = makeDeviceKeys();
    await t.app.inject(authRequest(keys, { mac: 'foreign-search' }, { tenantToken: other.tenantToken }));
    expect(await all('&q=foreign-search')).toEqual([]);
    const otherAdmin = (await adminToken(t.gh, { tenantId: other.tenant.id })).token;
    const theirs = (
      await api('GET', `${DEVAUTH}/devices?q=foreign`, undefined, otherAdmin)
    ).json() as DeviceJson[];
    expect(theirs).toHaveLength(1);
    expect(await all(`&q=${theirs[0]?.id}`)).toEqual([]);
    expect(await all(`&q=${theirs[0]?.auth_sets[0]?.fingerprint.slice(0, 12)}`)).toEqual([]);
  });
});

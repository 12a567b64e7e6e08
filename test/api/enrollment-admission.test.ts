import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import {
  CA_EXT,
  hasTool,
  type Issued,
  makeCrl,
  makeCsr,
  makeRootCa,
  makeVerificationCert,
  pkiDir,
  signWith,
} from '../helpers/openssl.js';
import {
  auditEvents,
  certAuth,
  DEVAUTH,
  deviceWithIdentity,
  ENROLLMENT,
  keysOf,
  listDevices,
  proxyFlags,
} from './enrollment-setup.js';
import { PKI, registerVerifiedCa } from './pki-setup.js';

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('certificate-based admission on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  const dir = pkiDir();
  let root: Issued;
  let inter: Issued;
  let rootId: string;
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: proxyFlags });
    token = (await adminToken(t.gh)).token;
    root = makeRootCa(dir, `adm-root-${dialect}`);
    inter = signWith(dir, root, `adm-int-${dialect}`, { ext: CA_EXT });
  });
  afterAll(async () => t?.close());

  it('an unverified CA admits nobody; once verified, devices are accepted on their first request', async () => {
    const reg = await api('POST', `${PKI}/cas`, { certificate: root.pem });
    expect(reg.statusCode).toBe(201);
    rootId = reg.json().id;
    const leaves = (['ec', 'rsa', 'ed25519'] as const).map((kind) =>
      signWith(dir, inter, `adm-${kind}-${dialect}`, { kind }),
    );
    for (const leaf of leaves) {
      const res = await certAuth(t, [leaf, inter]);
      expect(res.statusCode, leaf.name).toBe(401);
      expect(res.json()).toMatchObject({ error: 'dev auth: unauthorized' });
    }
    // Nothing was recorded for a certificate no verified CA vouches for.
    expect(await listDevices(t, token)).toEqual([]);

    const verified = await api('POST', `${PKI}/cas/${rootId}/verification`, {
      certificate: makeVerificationCert(dir, root, reg.json().verification_code),
    });
    expect(verified.statusCode).toBe(200);
    for (const leaf of leaves) {
      const res = await certAuth(t, [leaf, inter]);
      expect(res.statusCode, leaf.name).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/jwt/);
      const deviceToken = res.body;
      // The identity comes from the certificate, not from what the client claimed (a MAC).
      const device = await deviceWithIdentity(t, token, { DeviceId: leaf.name });
      expect(device, leaf.name).toMatchObject({ status: 'accepted' });
      expect(device?.auth_sets).toHaveLength(1);
      expect(device?.auth_sets[0]?.pubkey).toBe(keysOf(leaf).publicPem);
      // The token works on device routes; asking again hands out a token again.
      const inv = await t.app.inject({
        method: 'PATCH',
        url: '/api/devices/v1/inventory/device/attributes',
        headers: bearer(deviceToken),
        payload: [{ name: 'device_type', value: 'test' }],
      });
      expect(inv.statusCode).toBe(200);
      expect((await certAuth(t, [leaf, inter])).statusCode).toBe(200);

      const reg = await api('GET', `${ENROLLMENT}/registrations/${device?.id}`);
      expect(reg.statusCode).toBe(200);
      expect(reg.json()).toMatchObject({
        registration_id: leaf.name,
        ca_id: rootId,
        enrollment_group_id: null,
        certificate: { subject: `CN=${leaf.name}` },
      });
    }
    const enrolled = await auditEvents(t, token, 'type=device.enrolled_by_certificate');
    expect(enrolled).toHaveLength(3);
    expect(enrolled[0]?.data).toMatchObject({
      ca_id: rootId,
      identity_data: { DeviceId: expect.any(String) },
    });
    const accepted = await auditEvents(t, token, 'type=device.accepted');
    expect(accepted.every((e) => e.data.via === 'certificate')).toBe(true);
  });

  it('refuses an unregistered CA, a revoked certificate and a key that did not sign the request', async () => {
    const stranger = makeRootCa(dir, `adm-stranger-${dialect}`);
    const strangerLeaf = signWith(dir, stranger, `adm-stranger-leaf-${dialect}`);
    expect((await certAuth(t, [strangerLeaf])).statusCode).toBe(401);

    // Whoever holds a certificate (it is public) must not get in with a key of their own.
    const honest = signWith(dir, inter, `adm-stolen-${dialect}`);
    const res = await certAuth(t, [honest, inter], { keys: makeDeviceKeys('ec') });
    expect(res.statusCode).toBe(401);
    expect(await deviceWithIdentity(t, token, { DeviceId: honest.name })).toBeUndefined();
    const refused = await auditEvents(t, token, 'type=device.enrollment_refused');
    expect(refused.map((e) => e.data)).toContainEqual(
      expect.objectContaining({
        registration_id: honest.name,
        reason: 'the auth request is not signed with the client certificate key',
      }),
    );

    // An uploaded CRL revokes; the device was admitted before, and is refused from then on.
    const revoked = signWith(dir, root, `adm-revoked-${dialect}`);
    expect((await certAuth(t, [revoked])).statusCode).toBe(200);
    const crl = await api('PUT', `${PKI}/cas/${rootId}/crl`, { crl: makeCrl(dir, root, [revoked]) });
    expect(crl.statusCode).toBe(200);
    expect((await certAuth(t, [revoked])).statusCode).toBe(401);

    // Built-in CA: a certificate it issued, then revoked.
    expect((await api('POST', `${PKI}/builtin-ca`, { key_type: 'ec-p256' })).statusCode).toBe(201);
    const csr = makeCsr(dir, `adm-builtin-${dialect}`, { cn: `adm-builtin-${dialect}` });
    const issued = await api('POST', `${PKI}/certificates`, { csr: readFileSync(csr.csr, 'utf8') });
    expect(issued.statusCode).toBe(201);
    const builtinLeaf: Issued = {
      name: `adm-builtin-${dialect}`,
      key: csr.key,
      crt: '',
      pem: issued.json().certificate,
    };
    expect((await certAuth(t, [builtinLeaf])).statusCode).toBe(200);
    const serial = issued.json().serial;
    expect((await api('POST', `${PKI}/certificates/${serial}/revoke`, {})).statusCode).toBe(200);
    expect((await certAuth(t, [builtinLeaf])).statusCode).toBe(401);
  });

  it('completes a leaf-only chain (nginx sends the leaf only) with a registered intermediate', async () => {
    const leaf = signWith(dir, inter, `adm-leafonly-${dialect}`);
    expect((await certAuth(t, [leaf])).statusCode).toBe(401);
    // Registered, not verified: it only links the leaf to the verified root, which is the anchor.
    await registerVerifiedCa(t.app, token, dir, inter, { verify: false });
    expect((await certAuth(t, [leaf])).statusCode).toBe(200);
    const device = await deviceWithIdentity(t, token, { DeviceId: leaf.name });
    const reg = await api('GET', `${ENROLLMENT}/registrations/${device?.id}`);
    expect(reg.json()).toMatchObject({ ca_id: rootId, registration_id: leaf.name });
  });

  it('trusts the certificate header only from the proxy address', async () => {
    const leaf = signWith(dir, inter, `adm-direct-${dialect}`);
    const res = await certAuth(t, [leaf, inter], { peer: '127.0.0.1', identity: { mac: 'direct' } });
    // Without a trusted certificate this is an ordinary unknown device: pending, not accepted.
    expect(res.statusCode).toBe(401);
    expect(await deviceWithIdentity(t, token, { DeviceId: leaf.name })).toBeUndefined();
    expect(await deviceWithIdentity(t, token, { mac: 'direct' })).toMatchObject({ status: 'pending' });
  });

  it('a pending auth set of the same key gives way to the certificate; an accepted one does not', async () => {
    // The device asked once without its certificate (recorded pending under the identity its
    // client sends), then with it: the CA vouches for the key, so the pending record gives way.
    const leaf = signWith(dir, inter, `adm-supersede-${dialect}`);
    const plain = await certAuth(t, [leaf, inter], { peer: '127.0.0.1', identity: { mac: 'supersede' } });
    expect(plain.statusCode).toBe(401);
    const pending = await deviceWithIdentity(t, token, { mac: 'supersede' });
    expect(pending).toMatchObject({ status: 'pending' });
    expect((await certAuth(t, [leaf, inter])).statusCode).toBe(200);
    expect(await deviceWithIdentity(t, token, { DeviceId: leaf.name })).toMatchObject({ status: 'accepted' });
    expect(await deviceWithIdentity(t, token, { mac: 'supersede' })).toBeUndefined();
    const superseded = (await auditEvents(t, token, 'type=device.authset_deleted')).find(
      (e) => e.device_id === pending?.id,
    );
    expect(superseded?.data).toMatchObject({
      previous_status: 'pending',
      reason: 'superseded_by_certificate',
    });

    // The same key under an accepted device (an operator's decision) is never taken over.
    const other = signWith(dir, inter, `adm-held-${dialect}`);
    const keys = keysOf(other);
    const preauth = await api('POST', `${DEVAUTH}/devices`, {
      identity_data: { mac: 'held' },
      pubkey: keys.publicPem,
    });
    expect(preauth.statusCode).toBe(201);
    expect(
      (await certAuth(t, [other, inter], { peer: '127.0.0.1', identity: { mac: 'held' } })).statusCode,
    ).toBe(200);
    expect((await certAuth(t, [other, inter])).statusCode).toBe(401);
    expect(await deviceWithIdentity(t, token, { DeviceId: other.name })).toBeUndefined();
    expect(await deviceWithIdentity(t, token, { mac: 'held' })).toMatchObject({ status: 'accepted' });
  });

  it("keeps an operator's rejection, and admits a decommissioned device again", async () => {
    const leaf = signWith(dir, inter, `adm-reject-${dialect}`);
    expect((await certAuth(t, [leaf, inter])).statusCode).toBe(200);
    const device = await deviceWithIdentity(t, token, { DeviceId: leaf.name });
    const aid = device?.auth_sets[0]?.id;
    const rejected = await api('PUT', `${DEVAUTH}/devices/${device?.id}/auth/${aid}/status`, {
      status: 'rejected',
    });
    expect(rejected.statusCode).toBe(204);
    expect((await certAuth(t, [leaf, inter])).statusCode).toBe(401);
    expect(await deviceWithIdentity(t, token, { DeviceId: leaf.name })).toMatchObject({ status: 'rejected' });

    expect((await api('DELETE', `${DEVAUTH}/devices/${device?.id}`)).statusCode).toBe(204);
    expect((await api('GET', `${ENROLLMENT}/registrations/${device?.id}`)).statusCode).toBe(404);
    expect((await certAuth(t, [leaf, inter])).statusCode).toBe(200);
    expect(await deviceWithIdentity(t, token, { DeviceId: leaf.name })).toMatchObject({ status: 'accepted' });
  });

  it('places a device without a tenant token in the tenant whose CA issued its certificate', async () => {
    const { tenant, tenantToken } = await t.gh.tenants.service.create({ name: `adm-other-${dialect}` });
    const otherAdmin = (await adminToken(t.gh, { tenantId: tenant.id })).token;
    const otherRoot = makeRootCa(dir, `adm-other-root-${dialect}`);
    await registerVerifiedCa(t.app, otherAdmin, dir, otherRoot);
    const leaf = signWith(dir, otherRoot, `adm-other-leaf-${dialect}`);
    expect((await certAuth(t, [leaf])).statusCode).toBe(200);
    const other = { ...t, app: t.app } as TestServer;
    expect(await deviceWithIdentity(other, otherAdmin, { DeviceId: leaf.name })).toMatchObject({
      status: 'accepted',
    });
    expect(await deviceWithIdentity(t, token, { DeviceId: leaf.name })).toBeUndefined();
    // With the default tenant's token, the other tenant's CA does not count.
    const second = signWith(dir, otherRoot, `adm-other-leaf2-${dialect}`);
    const defaultToken = (await t.gh.tenants.service.create({ name: `adm-third-${dialect}` })).tenantToken;
    expect((await certAuth(t, [second], { tenantToken: defaultToken })).statusCode).toBe(401);
    expect((await certAuth(t, [second], { tenantToken })).statusCode).toBe(200);
  });
});

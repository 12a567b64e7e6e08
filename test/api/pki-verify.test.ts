import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyClientCertificate } from '../../src/pki/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import {
  CA_EXT,
  CLIENT_EXT,
  hasTool,
  type Issued,
  makeCrl,
  makeRootCa,
  pkiDir,
  signWith,
} from '../helpers/openssl.js';
import { PKI, registerVerifiedCa, x509s } from './pki-setup.js';

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('client certificate chain verification on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  const dir = pkiDir();
  // root → intermediate → leaf, as the seed's create_root_and_intermediate + create_device_certificate.
  let root: Issued;
  let inter: Issued;
  let leaf: Issued;
  let rootId: string;
  const verify = (chain: Issued[], tenantHint?: string, nowMs = Date.now()) =>
    verifyClientCertificate(t.gh.store.db, { chain: x509s(...chain), tenantHint, nowMs });

  beforeAll(async () => {
    root = makeRootCa(dir, `root-${dialect}`);
    inter = signWith(dir, root, `int-${dialect}`, { ext: CA_EXT });
    leaf = signWith(dir, inter, `device-${dialect}`, { cn: 'device-1' });
    t = await startTestGatehouse(dialect);
    token = (await adminToken(t.gh)).token;
  });
  afterAll(async () => t?.close());

  it('an unregistered, then an unverified CA admits nobody; a verified one admits the chain', async () => {
    expect(await verify([leaf, inter])).toEqual({ ok: false, reason: 'unknown_issuer' });
    rootId = await registerVerifiedCa(t.app, token, dir, root, { verify: false });
    expect(await verify([leaf, inter])).toEqual({ ok: false, reason: 'ca_unverified' });
    await t.app.inject({ method: 'DELETE', url: `${PKI}/cas/${rootId}`, headers: bearer(token) });
    rootId = await registerVerifiedCa(t.app, token, dir, root);
    const r = await verify([leaf, inter]);
    expect(r).toMatchObject({ ok: true, tenantId: DEFAULT_TENANT_ID, caId: rootId, caKind: 'uploaded' });
    if (!r.ok) return;
    expect(r.leaf.cn).toBe('device-1');
    expect(r.leaf.serial).toMatch(/^[0-9A-F]+$/);
    expect(r.leaf.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The public key part C checks auth request signatures with.
    const keyPem = createPublicKey(readFileSync(leaf.key)).export({ type: 'spki', format: 'pem' });
    expect(r.leaf.publicKeyPem).toBe(keyPem);
    // A root sent along is ignored; order of intermediates does not matter.
    expect((await verify([leaf, root, inter])).ok).toBe(true);
  });

  it('needs the intermediate, presented or registered', async () => {
    expect(await verify([leaf])).toEqual({ ok: false, reason: 'unknown_issuer' });
    const intId = await registerVerifiedCa(t.app, token, dir, inter);
    expect(await verify([leaf])).toMatchObject({ ok: true, caId: intId });
    await t.app.inject({ method: 'DELETE', url: `${PKI}/cas/${intId}`, headers: bearer(token) });
  });

  it('refuses a certificate from an unregistered CA, expired ones, and non-client certificates', async () => {
    const stranger = makeRootCa(dir, `stranger-${dialect}`);
    expect((await verify([signWith(dir, stranger, `s-${dialect}`)])).ok).toBe(false);
    // Same subject as the registered root, different key: not issued by it.
    const impostor = makeRootCa(dir, `impostor-${dialect}`, { cn: `root-${dialect}` });
    expect(await verify([signWith(dir, impostor, `i-${dialect}`)])).toEqual({
      ok: false,
      reason: 'unknown_issuer',
    });

    const expired = signWith(dir, inter, `expired-${dialect}`, { days: -1 });
    expect(await verify([expired, inter])).toMatchObject({ ok: false, reason: 'expired' });
    expect(await verify([leaf, inter], undefined, Date.now() + 40 * 86400 * 1000)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(await verify([leaf, inter], undefined, Date.now() - 86400 * 1000)).toMatchObject({
      reason: 'not_yet_valid',
    });
    const server = signWith(dir, inter, `server-${dialect}`, {
      ext: CLIENT_EXT.replace('extendedKeyUsage=clientAuth', 'extendedKeyUsage=serverAuth'),
    });
    expect(await verify([server, inter])).toMatchObject({ reason: 'bad_extended_key_usage' });
    const signingOnly = signWith(dir, inter, `ku-${dialect}`, {
      ext: CLIENT_EXT.replace('keyUsage=critical,digitalSignature', 'keyUsage=critical,keyEncipherment'),
    });
    expect(await verify([signingOnly, inter])).toMatchObject({ reason: 'bad_key_usage' });
    const subCa = signWith(dir, inter, `subca-${dialect}`, { ext: CA_EXT });
    expect(await verify([subCa, inter])).toMatchObject({ reason: 'leaf_is_ca' });
    // A leaf posing as an intermediate.
    const fakeInter = signWith(dir, inter, `fake-${dialect}`);
    const underLeaf = signWith(dir, fakeInter, `under-${dialect}`);
    expect(await verify([underLeaf, fakeInter, inter])).toMatchObject({ ok: false });
    expect(await verify([])).toEqual({ ok: false, reason: 'no_certificate' });
  });

  it('honours a disabled CA, path length limits and an uploaded CRL', async () => {
    await t.app.inject({
      method: 'PUT',
      url: `${PKI}/cas/${rootId}`,
      headers: bearer(token),
      payload: { enabled: false },
    });
    expect(await verify([leaf, inter])).toEqual({ ok: false, reason: 'ca_disabled' });
    await t.app.inject({
      method: 'PUT',
      url: `${PKI}/cas/${rootId}`,
      headers: bearer(token),
      payload: { enabled: true },
    });

    const tight = makeRootCa(dir, `tight-${dialect}`);
    const tightInter = signWith(dir, tight, `tight-int-${dialect}`, {
      ext: CA_EXT.replace('CA:TRUE', 'CA:TRUE,pathlen:0'),
    });
    const tightSub = signWith(dir, tightInter, `tight-sub-${dialect}`, { ext: CA_EXT });
    const deep = signWith(dir, tightSub, `deep-${dialect}`);
    await registerVerifiedCa(t.app, token, dir, tight);
    expect(await verify([deep, tightSub, tightInter])).toMatchObject({ reason: 'path_length_exceeded' });

    const revoked = signWith(dir, root, `revoked-${dialect}`);
    expect((await verify([revoked])).ok).toBe(true);
    const crl = makeCrl(dir, root, [revoked]);
    const up = await t.app.inject({
      method: 'PUT',
      url: `${PKI}/cas/${rootId}/crl`,
      headers: bearer(token),
      payload: { crl },
    });
    expect(up.statusCode).toBe(200);
    expect(up.json().crl_this_update).not.toBeNull();
    expect(await verify([revoked])).toMatchObject({ ok: false, reason: 'revoked' });
    expect((await verify([leaf, inter])).ok).toBe(true);
    // A CRL signed by another CA is refused.
    const foreign = makeCrl(dir, tight, []);
    const bad = await t.app.inject({
      method: 'PUT',
      url: `${PKI}/cas/${rootId}/crl`,
      headers: bearer(token),
      payload: { crl: foreign },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('a CA verified in two tenants needs a tenant hint', async () => {
    const { tenant } = await t.gh.tenants.service.create({ name: `second-${dialect}` });
    const other = (await adminToken(t.gh, { tenantId: tenant.id })).token;
    const otherCaId = await registerVerifiedCa(t.app, other, dir, root);
    expect(await verify([leaf, inter])).toEqual({ ok: false, reason: 'ambiguous_tenant' });
    expect(await verify([leaf, inter], tenant.id)).toMatchObject({
      ok: true,
      tenantId: tenant.id,
      caId: otherCaId,
    });
    expect(await verify([leaf, inter], DEFAULT_TENANT_ID)).toMatchObject({ ok: true, caId: rootId });
    await t.app.inject({ method: 'DELETE', url: `${PKI}/cas/${otherCaId}`, headers: bearer(other) });
    expect((await verify([leaf, inter])).ok).toBe(true);
  });
});

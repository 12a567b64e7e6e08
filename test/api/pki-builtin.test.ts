import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/index.js';
import { checkCsr, verifyClientCertificate } from '../../src/pki/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { openGatehouse } from '../../src/wiring.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { hasTool, makeCsr, openssl, pkiDir } from '../helpers/openssl.js';
import { PKI } from './pki-setup.js';

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('the built-in CA on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  const dir = pkiDir();
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, tok = token) =>
    t.app.inject({ method, url: `${PKI}${url}`, headers: bearer(tok), ...(payload ? { payload } : {}) });
  const csrPem = (name: string, kind: 'ec' | 'rsa' | 'ed25519', cn = name) =>
    readFileSync(makeCsr(dir, name, { cn, kind }).csr, 'utf8');

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: { publicUrl: 'https://gatehouse.example.com' } });
    token = (await adminToken(t.gh)).token;
  });
  afterAll(async () => t?.close());

  it('creates an RSA-3072 CA, registered as verified, whose key survives a restart', async () => {
    expect((await call('GET', '/builtin-ca')).statusCode).toBe(404);
    expect((await call('POST', '/certificates', { csr: csrPem('early', 'ec') })).statusCode).toBe(404);
    const res = await call('POST', '/builtin-ca', {
      key_type: 'rsa-3072',
      common_name: 'Acme devices',
      cert_validity_days: 30,
    });
    expect(res.statusCode).toBe(201);
    const ca = res.json();
    expect(ca).toMatchObject({ kind: 'builtin', status: 'verified', enabled: true, cert_validity_days: 30 });
    expect(ca.subject).toBe('CN=Acme devices');
    expect((await call('POST', '/builtin-ca', {})).statusCode).toBe(409);
    expect((await call('GET', '/cas')).json().map((c: { id: string }) => c.id)).toContain(ca.id);
    // The private key is stored sealed, never in clear.
    const row = await t.gh.store.db
      .selectFrom('pki_cas')
      .select('private_key_sealed')
      .where('id', '=', ca.id)
      .executeTakeFirstOrThrow();
    expect(row.private_key_sealed).toMatch(/^v1\./);
    writeFileSync(join(dir, 'builtin.crt'), ca.certificate);
    const caText = openssl(dir, ['x509', '-in', 'builtin.crt', '-noout', '-text']).toString();
    expect(caText).toMatch(/Public-Key: \(3072 bit\)/);
    expect(caText).toMatch(/CA:TRUE, pathlen:0/);

    for (const kind of ['ec', 'rsa', 'ed25519'] as const) {
      const issued = await call('POST', '/certificates', { csr: csrPem(`api-${kind}`, kind) });
      expect(issued.statusCode, kind).toBe(201);
      const cert = issued.json();
      expect(cert).toMatchObject({ cn: `api-${kind}`, issued_via: 'api', revoked_at: null });
      writeFileSync(join(dir, `api-${kind}.crt`), cert.certificate);
      expect(openssl(dir, ['verify', '-CAfile', 'builtin.crt', `api-${kind}.crt`]).toString()).toMatch(/OK/);
      const text = openssl(dir, ['x509', '-in', `api-${kind}.crt`, '-noout', '-text']).toString();
      expect(text).toMatch(
        /URI:https:\/\/gatehouse\.example\.com\/pki\/00000000-0000-4000-8000-000000000000\/crl/,
      );
      const x = new X509Certificate(cert.certificate);
      expect(Date.parse(x.validTo) - Date.now()).toBeLessThanOrEqual(30 * 86400 * 1000 + 1000);
    }

    const again = await openGatehouse(t.config);
    try {
      const { der } = makeCsr(dir, 'after-restart', { cn: 'after-restart' });
      const { certificate } = await again.pki.builtin.issue(DEFAULT_TENANT_ID, {
        csr: await checkCsr(der),
        via: 'api',
      });
      writeFileSync(join(dir, 'after-restart.crt'), certificate.certPem);
      expect(openssl(dir, ['verify', '-CAfile', 'builtin.crt', 'after-restart.crt']).toString()).toMatch(
        /OK/,
      );
    } finally {
      await again.close();
    }
  });

  it('refuses bad CSRs', async () => {
    const tampered = csrPem('tampered', 'ec').replace(/(.{40})A/, '$1B');
    expect((await call('POST', '/certificates', { csr: tampered })).statusCode).toBe(400);
    expect((await call('POST', '/certificates', { csr: 'not a csr' })).statusCode).toBe(400);
    const noCn = readFileSync(makeCsr(dir, 'nocn', { subj: '/O=Acme' }).csr, 'utf8');
    expect((await call('POST', '/certificates', { csr: noCn })).json().error).toMatch(/CN/);
  });

  it('revokes: the chain verifier refuses the certificate, the CRL lists it, events are recorded', async () => {
    const issued = (await call('POST', '/certificates', { csr: csrPem('to-revoke', 'ec') })).json();
    const chain = [new X509Certificate(issued.certificate)];
    expect(await verifyClientCertificate(t.gh.store.db, { chain, nowMs: Date.now() })).toMatchObject({
      ok: true,
      caKind: 'builtin',
    });
    expect(
      (await call('POST', `/certificates/${issued.serial}/revoke`, { reason: 'superseded' })).statusCode,
    ).toBe(200);
    expect(await verifyClientCertificate(t.gh.store.db, { chain, nowMs: Date.now() })).toMatchObject({
      ok: false,
      reason: 'revoked',
    });
    expect((await call('POST', '/certificates/ABCDEF/revoke', {})).statusCode).toBe(404);
    expect((await call('GET', `/certificates/${issued.serial.toLowerCase()}`)).json().revocation_reason).toBe(
      'superseded',
    );
    expect(
      (await call('GET', '/certificates?status=revoked')).json().map((c: { serial: string }) => c.serial),
    ).toEqual([issued.serial]);
    const crl = await t.app.inject({ method: 'GET', url: `/pki/${DEFAULT_TENANT_ID}/crl` });
    expect(crl.statusCode).toBe(200);
    writeFileSync(join(dir, 'crl.der'), crl.rawPayload);
    const text = openssl(dir, [
      'crl',
      '-inform',
      'DER',
      '-in',
      'crl.der',
      '-noout',
      '-text',
      '-CAfile',
      'builtin.crt',
    ]).toString();
    expect(text.replace(/\s/g, '')).toContain(`SerialNumber:${issued.serial}`);
    expect(text).toMatch(/Next Update/);
    expect((await t.app.inject({ method: 'GET', url: '/pki/not-a-tenant/crl' })).statusCode).toBe(404);

    const types = (await listEvents(t.gh.store.db, DEFAULT_TENANT_ID, { limit: 500 })).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['pki.builtin_ca_created', 'pki.certificate_issued', 'pki.certificate_revoked']),
    );
  });

  it('a disabled built-in CA issues nothing and admits nobody; it cannot be deleted', async () => {
    const ca = (await call('GET', '/builtin-ca')).json();
    const issued = (await call('POST', '/certificates', { csr: csrPem('before-disable', 'ec') })).json();
    expect((await call('PUT', `/cas/${ca.id}`, { enabled: false })).statusCode).toBe(200);
    expect((await call('POST', '/certificates', { csr: csrPem('while-disabled', 'ec') })).statusCode).toBe(
      409,
    );
    const chain = [new X509Certificate(issued.certificate)];
    expect(await verifyClientCertificate(t.gh.store.db, { chain, nowMs: Date.now() })).toMatchObject({
      reason: 'ca_disabled',
    });
    expect((await call('DELETE', `/cas/${ca.id}`)).statusCode).toBe(409);
    await call('PUT', `/cas/${ca.id}`, { enabled: true });

    const { tenant } = await t.gh.tenants.service.create({ name: `pki-other-${dialect}` });
    const other = (await adminToken(t.gh, { tenantId: tenant.id })).token;
    expect((await call('GET', '/builtin-ca', undefined, other)).statusCode).toBe(404);
    expect((await call('GET', `/certificates/${issued.serial}`, undefined, other)).statusCode).toBe(404);
    expect((await call('POST', `/certificates/${issued.serial}/revoke`, {}, other)).statusCode).toBe(404);
  });

  it('manages enrollment credentials; secrets are shown once and stored hashed', async () => {
    const created = await call('POST', '/enrollment-credentials', {
      name: 'line-2',
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await call('POST', '/enrollment-credentials', { name: 'line-2' })).statusCode).toBe(409);
    expect((await call('POST', '/enrollment-credentials', { name: 'has:colon' })).statusCode).toBe(400);
    expect(
      (await call('POST', '/enrollment-credentials', { name: 'past', expires_at: '2001-01-01T00:00:00Z' }))
        .statusCode,
    ).toBe(400);
    const listed = (await call('GET', '/enrollment-credentials')).json();
    expect(JSON.stringify(listed)).not.toContain(secret);
    const row = await t.gh.store.db
      .selectFrom('pki_enrollment_credentials')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(await t.gh.pki.credentials.authenticate(DEFAULT_TENANT_ID, 'line-2', secret)).toMatchObject({
      id,
    });
    expect(await t.gh.pki.credentials.authenticate(DEFAULT_TENANT_ID, 'line-2', `${secret}x`)).toBeNull();
    expect((await call('DELETE', `/enrollment-credentials/${id}`)).statusCode).toBe(204);
    expect(await t.gh.pki.credentials.authenticate(DEFAULT_TENANT_ID, 'line-2', secret)).toBeNull();
    expect((await call('DELETE', `/enrollment-credentials/${id}`)).statusCode).toBe(404);
  });
});

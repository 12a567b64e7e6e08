import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEvents } from '../../src/events/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import {
  CA_EXT,
  hasTool,
  type Issued,
  makeRootCa,
  makeVerificationCert,
  pkiDir,
  signWith,
} from '../helpers/openssl.js';

const BASE = '/api/management/v1/pki';
const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())(
  'CA registration with proof of possession on %s',
  (dialect) => {
    let t: TestServer;
    let token: string;
    // Real time plus what the test skips ahead: openssl makes certificates valid from "now".
    let offsetMs = 0;
    const clock = { nowMs: () => Date.now() + offsetMs, advance: (ms: number) => (offsetMs += ms) };
    const dir = pkiDir();
    let root: Issued;
    let other: Issued;
    beforeAll(async () => {
      root = makeRootCa(dir, 'root');
      other = makeRootCa(dir, 'other', { cn: 'root' }); // same subject, another key
      t = await startTestGatehouse(dialect, { clock });
      token = (await adminToken(t.gh)).token;
    });
    afterAll(async () => t?.close());

    const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object, tok = token) =>
      t.app.inject({ method, url: `${BASE}${url}`, headers: bearer(tok), ...(payload ? { payload } : {}) });

    it('registers a CA unverified with a verification code, then verifies it with a certificate CN=<code>', async () => {
      const reg = await call('POST', '/cas', { certificate: root.pem, name: 'factory root' });
      expect(reg.statusCode).toBe(201);
      const ca = reg.json();
      expect(ca).toMatchObject({
        status: 'unverified',
        kind: 'uploaded',
        enabled: true,
        name: 'factory root',
      });
      expect(ca.verification_code).toMatch(/^[0-9A-F]{40}$/);
      expect(ca.subject).toContain('CN=root');
      expect(ca.fingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(reg.headers.location).toBe(`${BASE}/cas/${ca.id}`);

      // A certificate with the right CN signed by another key (same subject name) proves nothing.
      const forged = makeVerificationCert(dir, other, ca.verification_code);
      const bad = await call('POST', `/cas/${ca.id}/verification`, { certificate: forged });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error).toMatch(/not signed by this CA/);
      // The right key, the wrong CN.
      const wrongCn = makeVerificationCert(dir, root, 'ABCDEF');
      expect(
        (await call('POST', `/cas/${ca.id}/verification`, { certificate: wrongCn })).json().error,
      ).toMatch(/verification code/);

      const proof = makeVerificationCert(dir, root, ca.verification_code);
      const ok = await call('POST', `/cas/${ca.id}/verification`, { certificate: proof });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ id: ca.id, status: 'verified' });
      expect(ok.json().verification_code).toBeUndefined();
      expect(ok.json().verified_at).not.toBeNull();
      // Single use: verified once, the same proof is refused.
      expect((await call('POST', `/cas/${ca.id}/verification`, { certificate: proof })).statusCode).toBe(409);

      const types = (await listEvents(t.gh.store.db, DEFAULT_TENANT_ID, { limit: 100 })).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['pki.ca_registered', 'pki.ca_verified']));

      expect((await call('GET', '/cas')).json().map((c: { id: string }) => c.id)).toContain(ca.id);
      expect((await call('GET', `/cas/${ca.id}`)).json().status).toBe('verified');
      // The same certificate twice in one tenant: 409.
      expect((await call('POST', '/cas', { certificate: root.pem })).statusCode).toBe(409);
    });

    it('refuses non-CA, malformed and expired certificates', async () => {
      const leaf = signWith(dir, root, 'leaf-not-ca');
      const notCa = await call('POST', '/cas', { certificate: leaf.pem });
      expect(notCa.statusCode).toBe(400);
      expect(notCa.json().error).toMatch(/not a CA/);
      for (const junk of ['hello', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n']) {
        expect((await call('POST', '/cas', { certificate: junk })).statusCode).toBe(400);
      }
      expect((await call('POST', '/cas', {})).statusCode).toBe(400);
      const expired = signWith(dir, root, 'int-expired', { ext: CA_EXT, days: -1 });
      const exp = await call('POST', '/cas', { certificate: expired.pem });
      expect(exp.statusCode).toBe(400);
      expect(exp.json().error).toMatch(/expired/);
    });

    it('expires and regenerates verification codes, enables/disables and deletes CAs', async () => {
      const inter = signWith(dir, root, 'int-codes', { ext: CA_EXT });
      const ca = (await call('POST', '/cas', { certificate: inter.pem })).json();
      clock.advance(25 * 3600 * 1000);
      const late = await call('POST', `/cas/${ca.id}/verification`, {
        certificate: makeVerificationCert(dir, inter, ca.verification_code),
      });
      expect(late.statusCode).toBe(400);
      expect(late.json().error).toMatch(/expired/);
      const fresh = (await call('POST', `/cas/${ca.id}/verification-code`)).json();
      expect(fresh.verification_code).not.toBe(ca.verification_code);
      // The old code no longer verifies; the new one does.
      expect(
        (
          await call('POST', `/cas/${ca.id}/verification`, {
            certificate: makeVerificationCert(dir, inter, ca.verification_code),
          })
        ).statusCode,
      ).toBe(400);
      const proof = makeVerificationCert(dir, inter, fresh.verification_code);
      expect((await call('POST', `/cas/${ca.id}/verification`, { certificate: proof })).json().status).toBe(
        'verified',
      );
      expect((await call('POST', `/cas/${ca.id}/verification-code`)).statusCode).toBe(409);

      const off = await call('PUT', `/cas/${ca.id}`, { enabled: false });
      expect(off.statusCode).toBe(200);
      expect(off.json().enabled).toBe(false);
      expect((await call('PUT', `/cas/${ca.id}`, {})).statusCode).toBe(400);
      expect((await call('DELETE', `/cas/${ca.id}`)).statusCode).toBe(204);
      expect((await call('GET', `/cas/${ca.id}`)).statusCode).toBe(404);
      expect((await call('DELETE', `/cas/${ca.id}`)).statusCode).toBe(404);
    });

    it("hides another tenant's CAs (404) and lets read-only users look but not change", async () => {
      const ca = (await call('GET', '/cas')).json()[0];
      const { tenant } = await t.gh.tenants.service.create({ name: `other-${dialect}` });
      const otherToken = (await adminToken(t.gh, { tenantId: tenant.id })).token;
      expect((await call('GET', `/cas/${ca.id}`, undefined, otherToken)).statusCode).toBe(404);
      expect((await call('PUT', `/cas/${ca.id}`, { enabled: false }, otherToken)).statusCode).toBe(404);
      expect((await call('DELETE', `/cas/${ca.id}`, undefined, otherToken)).statusCode).toBe(404);
      expect((await call('GET', '/cas', undefined, otherToken)).json()).toEqual([]);
      // The same CA may be registered in another tenant (it must prove possession there too).
      expect((await call('POST', '/cas', { certificate: root.pem }, otherToken)).json().status).toBe(
        'unverified',
      );
      const ro = (await adminToken(t.gh, { role: 'readonly' })).token;
      expect((await call('GET', '/cas', undefined, ro)).statusCode).toBe(200);
      expect((await call('POST', '/cas', { certificate: root.pem }, ro)).statusCode).toBe(403);
    });
  },
);

import { createPublicKey, verify } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

/**
 * Replays auth requests recorded from the real Debian mender 3.4 client (test/compat/fixtures,
 * each file says how it was captured) byte for byte through the app:
 * docs/principles.md#tests-use-real-components, docs/compat/mender-device-auth.md#auth-request.
 */
interface AuthRequestFixture {
  description: string;
  key_type: 'rsa3072' | 'ec-p256' | 'ed25519';
  body_b64: string;
  signature: string;
  authorization: string;
  content_type: string;
  expected_identity: string;
}

const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixtures = readdirSync(FIXTURE_DIR)
  .filter((f) => /^auth-request-.*\.json$/.test(f))
  .sort()
  .map((file) => ({
    file,
    fx: JSON.parse(readFileSync(join(FIXTURE_DIR, file), 'utf8')) as AuthRequestFixture,
  }));

const bodyOf = (fx: AuthRequestFixture) => Buffer.from(fx.body_b64, 'base64');
const tenantTokenOf = (fx: AuthRequestFixture) =>
  (JSON.parse(bodyOf(fx).toString('utf8')) as { tenant_token: string }).tenant_token;
const defaultTenantFixtures = fixtures.filter(({ fx }) => tenantTokenOf(fx) === '');
const tenantTokenFixtures = fixtures.filter(({ fx }) => tenantTokenOf(fx) !== '');

/** The request exactly as the client sent it (header values from the capture, body bytes unchanged). */
const replay = (fx: AuthRequestFixture, body: Buffer = bodyOf(fx)) => ({
  method: 'POST' as const,
  url: '/api/devices/v1/authentication/auth_requests',
  headers: {
    'content-type': fx.content_type,
    authorization: fx.authorization,
    'x-men-signature': fx.signature,
  },
  payload: body,
});

/** Changes one byte inside the identity's last attribute value, so the JSON stays well-formed. */
const flipOneByte = (body: Buffer): Buffer => {
  const copy = Buffer.from(body);
  const end = copy.indexOf('\\"}"'); // end of the last value inside the id_data string
  expect(end).toBeGreaterThan(0);
  copy[end - 1] = (copy[end - 1] as number) ^ 0x01;
  return copy;
};

const countRows = async (s: TestServer) => {
  const db = s.gh.store.db;
  const one = async (table: 'devices' | 'auth_sets' | 'device_tokens' | 'events') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    devices: await one('devices'),
    auth_sets: await one('auth_sets'),
    device_tokens: await one('device_tokens'),
    events: await one('events'),
  };
};

const NOTHING = { devices: 0, auth_sets: 0, device_tokens: 0, events: 0 };

const decodeJwtPart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));

describe('recorded fixtures', () => {
  it('cover RSA-3072, EC P-256 and Ed25519 on the default tenant, and a tenant token', () => {
    expect(defaultTenantFixtures.map(({ fx }) => fx.key_type).sort()).toEqual([
      'ec-p256',
      'ed25519',
      'rsa3072',
    ]);
    expect(tenantTokenFixtures.length).toBeGreaterThanOrEqual(1);
  });

  it.each(fixtures)('$file is a self-consistent capture of the 3.4 client', ({ fx }) => {
    const body = bodyOf(fx);
    // Go json.Encoder: compact, fields in struct order, trailing newline
    // (docs/compat/mender-device-auth.md#auth-request).
    expect(body.at(-1)).toBe(0x0a);
    expect(body.toString('utf8')).toMatch(
      /^\{"id_data":"(?:[^"\\]|\\.)*","tenant_token":"[^"]*","pubkey":"-----BEGIN PUBLIC KEY-----\\n/,
    );
    const parsed = JSON.parse(body.toString('utf8')) as { id_data: string; pubkey: string };
    expect(parsed.id_data).toBe(fx.expected_identity);
    expect(fx.content_type).toBe('application/json');
    // The signature covers the exact bytes, newline included; base64 standard alphabet with padding.
    expect(fx.signature).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const key = createPublicKey(parsed.pubkey);
    const hash = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
    const sig = Buffer.from(fx.signature, 'base64');
    expect(verify(hash, body, key, sig)).toBe(true);
    expect(verify(hash, body.subarray(0, -1), key, sig)).toBe(false);
    const expectedKey = { rsa3072: 'rsa', 'ec-p256': 'ec', ed25519: 'ed25519' }[fx.key_type];
    expect(key.asymmetricKeyType).toBe(expectedKey);
    if (key.asymmetricKeyType === 'rsa') expect(key.asymmetricKeyDetails?.modulusLength).toBe(3072);
    if (key.asymmetricKeyType === 'ec') expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });
});

describe.each(dialects())('auth requests recorded from mender 3.4 (%s)', (dialect) => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  describe.each(defaultTenantFixtures)('$file', ({ fx }) => {
    it('tampered or newline-stripped bodies fail the signature check and create nothing', async () => {
      s = await startTestGatehouse(dialect);
      const body = bodyOf(fx);
      for (const tampered of [flipOneByte(body), body.subarray(0, -1)]) {
        const res = await s.app.inject(replay(fx, tampered));
        expect(res.statusCode).toBe(401);
        expect(res.json()).toEqual({
          error: 'signature verification failed',
          request_id: expect.any(String),
        });
      }
      expect(await countRows(s)).toEqual(NOTHING);
    });

    it('first request → 401 and a pending device; after acceptance → 200 with a bare JWT', async () => {
      s = await startTestGatehouse(dialect);
      const first = await s.app.inject(replay(fx));
      expect(first.statusCode).toBe(401);
      expect(first.headers['content-type']).toMatch(/^application\/json/);
      const err = first.json();
      expect(err).toEqual({ error: 'dev auth: unauthorized', request_id: expect.any(String) });
      expect(err.request_id).toBe(first.headers['x-men-requestid']);

      // The pending device carries exactly the identity the client sent, canonicalised.
      const { token: userToken } = await adminToken(s.gh);
      const listed = await s.app.inject({
        method: 'GET',
        url: '/api/management/v2/devauth/devices',
        headers: bearer(userToken),
      });
      expect(listed.statusCode).toBe(200);
      const devices = listed.json();
      expect(devices).toHaveLength(1);
      const [device] = devices;
      expect(device.status).toBe('pending');
      expect(device.identity_data).toEqual(JSON.parse(fx.expected_identity));
      expect(device.auth_sets).toHaveLength(1);
      expect(device.auth_sets[0].status).toBe('pending');
      const sentKey = createPublicKey((JSON.parse(bodyOf(fx).toString('utf8')) as { pubkey: string }).pubkey);
      expect(createPublicKey(device.auth_sets[0].pubkey).equals(sentKey)).toBe(true);
      const { devices: stored } = await s.gh.devauth.admin.listDevices(DEFAULT_TENANT_ID, {
        page: { page: 1, perPage: 20 },
      });
      expect(stored[0]?.identityText).toBe(fx.expected_identity);

      // Asking again before acceptance changes nothing.
      const again = await s.app.inject(replay(fx));
      expect(again.statusCode).toBe(401);
      expect((await countRows(s)).auth_sets).toBe(1);

      await s.gh.devauth.admin.setAuthSetStatus(
        DEFAULT_TENANT_ID,
        device.id,
        device.auth_sets[0].id,
        'accepted',
      );

      const ok = await s.app.inject(replay(fx));
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['content-type']).toMatch(/^application\/jwt(;|$)/);
      // The client uses the body verbatim as "Authorization: Bearer <body>"
      // (docs/compat/mender-device-auth.md#responses).
      const token = ok.body;
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(ok.headers['content-length']).toBe(String(Buffer.byteLength(token)));
      const [headerPart, payloadPart] = token.split('.') as [string, string, string];
      expect(decodeJwtPart(headerPart).typ).toBe('JWT');
      const claims = decodeJwtPart(payloadPart);
      expect(claims.sub).toBe(device.id);
      expect(claims['mender.device']).toBe(true);
      expect(claims.jti).toEqual(expect.any(String));
      expect(claims.iss).toBe(s.config.jwtIssuer);
      expect(Number.isInteger(claims.iat)).toBe(true);
      expect(Number.isInteger(claims.exp)).toBe(true);
      expect(claims.exp - claims.iat).toBe(s.config.deviceTokenTtlSeconds);

      // The token works exactly as the client will use it next.
      const inv = await s.app.inject({
        method: 'PUT',
        url: '/api/devices/v1/inventory/device/attributes',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        payload: '[{"name":"device_type","value":"qemux86-64"}]\n',
      });
      expect(inv.statusCode).toBe(200);

      // Tampering still fails after acceptance, and still leaves no trace.
      const before = await countRows(s);
      for (const tampered of [flipOneByte(bodyOf(fx)), bodyOf(fx).subarray(0, -1)]) {
        const res = await s.app.inject(replay(fx, tampered));
        expect(res.statusCode).toBe(401);
        expect(res.json().error).toBe('signature verification failed');
      }
      expect(await countRows(s)).toEqual(before);
    });
  });

  describe.each(tenantTokenFixtures)('$file', ({ fx }) => {
    it('carries the tenant token in the body and as the bearer', () => {
      const tenantToken = tenantTokenOf(fx);
      expect(tenantToken).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(fx.authorization).toBe(`Bearer ${tenantToken}`);
      // A Gatehouse tenant token (from `gatehouse tenants create`).
      expect(decodeJwtPart(tenantToken.split('.')[1] as string)['gatehouse.tenant_token']).toBe(true);
    });

    it('an unknown tenant token → 401 and nothing is created', async () => {
      // The token was signed by another data dir's key, so no fresh database knows it.
      s = await startTestGatehouse(dialect);
      const res = await s.app.inject(replay(fx));
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: 'dev auth: unauthorized', request_id: expect.any(String) });
      // No device, auth set or token: only the operator's trace of the refusal.
      expect(await countRows(s)).toEqual({ ...NOTHING, events: 1 });
      const [event] = await s.gh.store.db.selectFrom('events').select(['type', 'tenant_id']).execute();
      expect(event?.type).toBe('device.auth_refused');
    });

    it('a tampered body still fails on the signature first', async () => {
      s = await startTestGatehouse(dialect);
      for (const tampered of [flipOneByte(bodyOf(fx)), bodyOf(fx).subarray(0, -1)]) {
        const res = await s.app.inject(replay(fx, tampered));
        expect(res.statusCode).toBe(401);
        expect(res.json().error).toBe('signature verification failed');
      }
      expect(await countRows(s)).toEqual(NOTHING);
    });
  });
});

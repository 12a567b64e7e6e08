import { generateKeyPairSync } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { authRequest, authRequestBody, makeDeviceKeys, signBody } from '../helpers/device-client.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { rowCounts } from '../helpers/rows.js';

const AUTH_URL = '/api/devices/v1/authentication/auth_requests';

describe.each(dialects())('bad device auth requests on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    // Dozens of unknown devices from one address: the rate limit on them (docs/limits.md, tested
    // in floods-devauth) would turn the later cases into 429s.
    t = await startTestGatehouse(dialect, {
      flags: { authUnknownPerAddressPerMinute: '0', authUnknownPerTenantPerMinute: '0' },
    });
  });
  afterAll(() => t.close());

  const keys = makeDeviceKeys('ec');
  const signed = (raw: string | Buffer, k = keys) => {
    const body = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    return {
      method: 'POST' as const,
      url: AUTH_URL,
      headers: { 'content-type': 'application/json', 'x-men-signature': signBody(k, body) },
      payload: body,
    };
  };
  const json = (o: unknown) => `${JSON.stringify(o)}\n`;
  const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();

  const cases: [string, () => object, number, RegExp][] = [
    ['malformed JSON', () => signed('{"id_data": '), 400, /malformed JSON/],
    ['a JSON array body', () => signed('[1,2]'), 400, /JSON object/],
    [
      'id_data that is not a string',
      () => signed(json({ id_data: { mac: 'x' }, pubkey: keys.publicPem })),
      400,
      /id_data/,
    ],
    [
      'id_data that is a JSON array',
      () => signed(json({ id_data: '["mac"]', pubkey: keys.publicPem })),
      400,
      /JSON object/,
    ],
    [
      'id_data that is a JSON string',
      () => signed(json({ id_data: '"mac"', pubkey: keys.publicPem })),
      400,
      /JSON object/,
    ],
    [
      'id_data that is not JSON',
      () => signed(json({ id_data: 'mac=x', pubkey: keys.publicPem })),
      400,
      /not valid JSON/,
    ],
    ['an empty identity', () => signed(json({ id_data: '{}', pubkey: keys.publicPem })), 400, /at least one/],
    ['a missing pubkey', () => signed(json({ id_data: '{"mac":"x"}' })), 400, /pubkey/],
    [
      'a PKCS#1 pubkey',
      () => signed(json({ id_data: '{"mac":"x"}', pubkey: pkcs1 })),
      400,
      /cannot decode public key/,
    ],
    [
      'an unparsable pubkey',
      () =>
        signed(
          json({
            id_data: '{"mac":"x"}',
            pubkey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
          }),
        ),
      400,
      /cannot decode/,
    ],
    [
      'a weak RSA key',
      () => {
        const body = Buffer.from(
          json({
            id_data: '{"mac":"x"}',
            tenant_token: '',
            pubkey: weakRsa.publicKey.export({ type: 'spki', format: 'pem' }),
          }),
        );
        return {
          ...signed(body),
          headers: { 'content-type': 'application/json', 'x-men-signature': 'AAAA' },
        };
      },
      400,
      /at least 2048 bits/,
    ],
    [
      'a missing signature header',
      () => authRequest(keys, { mac: 'x' }, { signature: null }),
      400,
      /missing request signature header/,
    ],
    [
      'bad base64 in the signature',
      () => authRequest(keys, { mac: 'x' }, { signature: '!!notbase64!!' }),
      401,
      /signature verification failed/,
    ],
    [
      'a signature by another key',
      () =>
        authRequest(
          keys,
          { mac: 'x' },
          { signature: signBody(makeDeviceKeys('ec'), authRequestBody({ mac: 'x' }, keys.publicPem)) },
        ),
      401,
      /signature verification failed/,
    ],
    [
      'a signature over other bytes (body re-serialised)',
      () => {
        const body = authRequestBody({ mac: 'x' }, keys.publicPem);
        return {
          ...authRequest(keys, { mac: 'x' }, { body: Buffer.from(body.toString().trimEnd()) }),
          headers: { 'content-type': 'application/json', 'x-men-signature': signBody(keys, body) },
        };
      },
      401,
      /signature verification failed/,
    ],
    [
      'an oversized body',
      () => signed(json({ id_data: JSON.stringify({ mac: 'x'.repeat(70_000) }), pubkey: keys.publicPem })),
      413,
      /too large/,
    ],
    [
      'an oversized identity',
      () => signed(json({ id_data: JSON.stringify({ mac: 'x'.repeat(10_000) }), pubkey: keys.publicPem })),
      400,
      /larger than/,
    ],
    [
      'a non-JSON content type',
      () => ({
        ...authRequest(keys, { mac: 'x' }),
        headers: { 'content-type': 'text/plain', 'x-men-signature': 'AAAA' },
      }),
      415,
      /Content-Type/,
    ],
    [
      'an empty body',
      () => ({
        method: 'POST',
        url: AUTH_URL,
        headers: { 'content-type': 'application/json', 'x-men-signature': 'AAAA' },
      }),
      400,
      /./,
    ],
    [
      'an unknown tenant token',
      () => authRequest(keys, { mac: 'x' }, { tenantToken: 'not-a-token' }),
      401,
      /dev auth: unauthorized/,
    ],
    [
      'a well-formed token that is not a tenant token',
      () => authRequest(keys, { mac: 'x' }, { tenantToken: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln' }),
      401,
      /dev auth: unauthorized/,
    ],
  ];

  it.each(cases)(
    'refuses %s with a clear JSON 4xx and stores nothing',
    async (name, build, status, message) => {
      const before = await rowCounts(t.gh);
      const res = await t.app.inject(build() as InjectOptions);
      expect(res.statusCode).toBe(status);
      const body = res.json() as { error: string; request_id: string };
      expect(body.error).toMatch(message);
      expect(body.request_id).toEqual(expect.any(String));
      // Nothing is stored but, for a tenant token of no tenant, at most one (rate-limited)
      // device.auth_refused event for the operator.
      const after = await rowCounts(t.gh);
      expect(after.events - before.events).toBeLessThanOrEqual(
        /tenant token|not a tenant/.test(name) ? 1 : 0,
      );
      expect({ ...after, events: 0 }).toEqual({ ...before, events: 0 });
    },
  );

  it('answers malformed management input with 400, not 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/management/v1/useradm/auth/login',
      headers: { 'content-type': 'application/json', authorization: 'Basic Zm9vOmJhcg==' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/malformed/);
  });

  it('routes a device to its tenant by tenant token, and refuses rotated tokens', async () => {
    const { tenant, tenantToken } = await t.gh.tenants.service.create({ name: 'acme' });
    const k = makeDeviceKeys();
    expect((await t.app.inject(authRequest(k, { mac: 'tenant-dev' }, { tenantToken }))).statusCode).toBe(401);
    const devs = await t.gh.devauth.admin.listDevices(tenant.id, { page: { page: 1, perPage: 20 } });
    expect(devs.devices.map((d) => d.identity)).toEqual([{ mac: 'tenant-dev' }]);
    // The token in the Authorization header alone also selects the tenant (the client sends both).
    // Another key: one device per key in a tenant (docs/conflicts.md).
    const k2 = makeDeviceKeys();
    const body = authRequestBody({ mac: 'hdr-dev' }, k2.publicPem, '');
    const viaHeader = await t.app.inject({
      method: 'POST',
      url: AUTH_URL,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${tenantToken}`,
        'x-men-signature': signBody(k2, body),
      },
      payload: body,
    });
    expect(viaHeader.statusCode).toBe(401);
    expect(await t.gh.devauth.admin.countDevices(tenant.id)).toBe(2);

    await t.gh.tenants.service.rotateTenantToken(tenant.id);
    const before = await rowCounts(t.gh);
    expect(
      (await t.app.inject(authRequest(makeDeviceKeys(), { mac: 'late' }, { tenantToken }))).statusCode,
    ).toBe(401);
    expect(await rowCounts(t.gh)).toEqual(before);
  });
});

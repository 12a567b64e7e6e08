import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// PostgreSQL text cannot hold U+0000 (error 22021): it must be a 400 on every route and dialect,
// never a 500 or a row SQLite keeps and PostgreSQL would refuse.
describe.each(dialects())('NUL characters in input on %s', (dialect) => {
  let t: TestServer;
  let token: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: { webhookAllowPrivateTargets: 'true' } });
    token = (await adminToken(t.gh)).token;
  });
  afterAll(async () => t?.close());

  it('refuses NUL in JSON bodies, keys, query strings and path parameters with a JSON 400', async () => {
    const cases = [
      {
        method: 'POST',
        url: '/api/management/v1/allocation-webhooks',
        payload: { url: 'http://127.0.0.1:9/a', description: 'a\u0000b' },
      },
      {
        method: 'POST',
        url: '/api/management/v1/enrollment/groups',
        payload: { name: 'x', ca_id: '00000000-0000-4000-8000-000000000000', tags: { 'k\u0000': 'v' } },
      },
      { method: 'GET', url: '/api/management/v2/devauth/devices?status=pending%00' },
      { method: 'GET', url: '/api/management/v1/inventory/devices/%00' },
      {
        method: 'POST',
        url: '/api/management/v2/devauth/devices',
        payload: { identity_data: { mac: 'a\u0000' }, pubkey: 'x' },
      },
    ] as const;
    for (const c of cases) {
      const res = await t.app.inject({ ...c, headers: bearer(token) });
      expect(res.statusCode, `${c.method} ${c.url}`).toBe(400);
      expect(res.json().error).toMatch(/NUL/);
      expect(res.json().request_id).toEqual(expect.any(String));
    }
    const hooks = await t.app.inject({
      method: 'GET',
      url: '/api/management/v1/allocation-webhooks',
      headers: bearer(token),
    });
    expect(hooks.json()).toEqual([]);
  });
});

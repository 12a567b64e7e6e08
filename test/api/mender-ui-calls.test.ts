import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// Calls Mender's web UI (3.7) makes on its own, with the bodies and headers it sends, answered in
// the shape it reads (issue 11; docs/compat/mender-ui.md). The UI itself cannot ship here, so its
// calls are the test.

const U = '/api/management/v1/useradm';

describe.each(dialects())("Mender web UI's calls on %s", (dialect) => {
  let t: TestServer;
  let admin: Awaited<ReturnType<typeof adminToken>>;
  let reader: Awaited<ReturnType<typeof adminToken>>;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    admin = await adminToken(t.gh);
    reader = await adminToken(t.gh, { role: 'readonly' });
  });
  afterAll(() => t.close());

  const call = (
    token: string | undefined,
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = {},
  ) =>
    t.app.inject({
      method,
      url,
      headers: { ...(token ? bearer(token) : {}), ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  it('reads an unlimited tenant as limit 0, which the UI shows as no limit', async () => {
    const res = await call(admin.token, 'GET', '/api/management/v2/devauth/limits/max_devices');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ limit: 0 });
    await t.gh.tenants.service.setMaxDevices(DEFAULT_TENANT_ID, 5);
    try {
      expect(
        (await call(admin.token, 'GET', '/api/management/v2/devauth/limits/max_devices')).json(),
      ).toEqual({
        limit: 5,
      });
    } finally {
      await t.gh.tenants.service.setMaxDevices(DEFAULT_TENANT_ID, -1);
    }
  });

  describe.each([
    ['global settings', `${U}/settings`],
    ['settings/me', `${U}/settings/me`],
  ])('%s', (_name, url) => {
    it('answer {} until stored, then the stored object with an ETag that guards a replacement', async () => {
      const empty = await call(admin.token, 'GET', url);
      expect(empty.statusCode).toBe(200);
      expect(empty.json()).toEqual({});
      expect(empty.headers.etag).toBeUndefined();
      // If-Match with nothing stored: nothing matches.
      expect((await call(admin.token, 'POST', url, { a: 1 }, { 'if-match': '*' })).statusCode).toBe(412);

      const settings = { onboarding: { complete: true }, columnSelection: [{ id: 'inventory-device_type' }] };
      const posted = await call(admin.token, 'POST', url, settings);
      expect(posted.statusCode, posted.body).toBe(201);
      expect(posted.body).toBe('');
      const read = await call(admin.token, 'GET', url);
      expect(read.json()).toEqual(settings);
      const etag = read.headers.etag as string;
      expect(etag).toMatch(/^"[0-9a-f-]{36}"$/);

      // A replacement with the ETag read succeeds once; the same ETag again is stale (412).
      expect((await call(admin.token, 'POST', url, { v: 2 }, { 'if-match': etag })).statusCode).toBe(201);
      const stale = await call(admin.token, 'POST', url, { v: 3 }, { 'if-match': etag });
      expect(stale.statusCode).toBe(412);
      expect(stale.json()).toMatchObject({ error: expect.stringMatching(/ETag/) });
      const now = await call(admin.token, 'GET', url);
      expect(now.json()).toEqual({ v: 2 });
      expect(now.headers.etag).not.toBe(etag);
      // Bare ETags (as some clients send them back) and `*` match too.
      const bare = (now.headers.etag as string).slice(1, -1);
      expect((await call(admin.token, 'POST', url, { v: 4 }, { 'if-match': bare })).statusCode).toBe(201);
      expect((await call(admin.token, 'POST', url, { v: 5 }, { 'if-match': '*' })).statusCode).toBe(201);
      expect((await call(admin.token, 'GET', url)).json()).toEqual({ v: 5 });
    });

    it('refuse what is not a JSON object, too large, or unauthenticated', async () => {
      for (const body of [[1, 2], 'text', 7]) {
        const res = await call(admin.token, 'POST', url, JSON.stringify(body), {
          'content-type': 'application/json',
        });
        expect(res.statusCode, JSON.stringify(body)).toBe(400);
        expect(res.json()).toHaveProperty('error');
      }
      const big = await call(admin.token, 'POST', url, { x: 'a'.repeat(70_000) });
      expect([400, 413]).toContain(big.statusCode);
      expect((await call(undefined, 'GET', url)).statusCode).toBe(401);
      expect((await call(undefined, 'POST', url, {})).statusCode).toBe(401);
    });
  });

  it("keeps each user's own settings apart from the tenant's and from other users'", async () => {
    await call(admin.token, 'POST', `${U}/settings`, { scope: 'tenant' });
    await call(admin.token, 'POST', `${U}/settings/me`, { scope: 'admin' });
    // A read-only user may keep their own settings, but not change the tenant's.
    expect((await call(reader.token, 'POST', `${U}/settings/me`, { scope: 'reader' })).statusCode).toBe(201);
    expect((await call(reader.token, 'POST', `${U}/settings`, { scope: 'x' })).statusCode).toBe(403);
    expect((await call(reader.token, 'GET', `${U}/settings`)).json()).toEqual({ scope: 'tenant' });
    expect((await call(reader.token, 'GET', `${U}/settings/me`)).json()).toEqual({ scope: 'reader' });
    expect((await call(admin.token, 'GET', `${U}/settings/me`)).json()).toEqual({ scope: 'admin' });
    // Another tenant sees none of it.
    const { tenant } = await t.gh.tenants.service.create({ name: 'ui-other' });
    const stranger = await adminToken(t.gh, { tenantId: tenant.id });
    expect((await call(stranger.token, 'GET', `${U}/settings`)).json()).toEqual({});
    expect((await call(stranger.token, 'GET', `${U}/settings/me`)).json()).toEqual({});
  });

  it('lets read-only users search (the POST searches of every list), not change', async () => {
    const search = await call(reader.token, 'POST', '/api/management/v2/inventory/filters/search', {
      page: 1,
      per_page: 1,
      filters: [{ scope: 'identity', attribute: 'status', type: '$eq', value: 'accepted' }],
    });
    expect(search.statusCode, search.body).toBe(200);
    expect(search.headers['x-total-count']).toBeDefined();
    const change = await call(reader.token, 'POST', '/api/management/v2/devauth/devices', {
      identity_data: { mac: 'x' },
      pubkey: 'x',
    });
    expect(change.statusCode).toBe(403);
  });

  it('answers deployments config with delta generation off', async () => {
    const res = await call(admin.token, 'GET', '/api/management/v1/deployments/config');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ delta: { enabled: false } });
    expect((await call(undefined, 'GET', '/api/management/v1/deployments/config')).statusCode).toBe(401);
  });

  it('lists no saved filters; an id is 404 with the error body, and saving one is refused clearly', async () => {
    const list = await call(admin.token, 'GET', '/api/management/v2/inventory/filters?per_page=500');
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toEqual([]);
    const one = await call(
      admin.token,
      'GET',
      '/api/management/v2/inventory/filters/5f3b8d4e9c1a2b3c4d5e6f70',
    );
    expect(one.statusCode).toBe(404);
    expect(one.json()).toEqual({ error: 'filter not found', request_id: one.headers['x-men-requestid'] });
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/api/management/v2/inventory/filters/5f3b8d4e9c1a2b3c4d5e6f70',
      headers: bearer(admin.token),
    });
    expect(del.statusCode).toBe(404);
    const save = await call(admin.token, 'POST', '/api/management/v2/inventory/filters', {
      name: 'dyn',
      terms: [{ scope: 'inventory', attribute: 'device_type', type: '$eq', value: 'qemux86-64' }],
    });
    expect(save.statusCode).toBe(404);
    expect(save.json().error).toMatch(/saved filters .* not supported/);
    // The search and attribute routes beside them are untouched.
    expect(
      (await call(admin.token, 'GET', '/api/management/v2/inventory/filters/attributes')).statusCode,
    ).toBe(200);
    expect((await call(undefined, 'GET', '/api/management/v2/inventory/filters')).statusCode).toBe(401);
  });

  it("lists the two roles and their permission sets under Mender's names, matching users' roles", async () => {
    const roles = await call(admin.token, 'GET', '/api/management/v2/useradm/roles?per_page=500');
    expect(roles.statusCode, roles.body).toBe(200);
    const list = roles.json() as { name: string; permission_sets_with_scope: { name: string }[] }[];
    expect(list.map((r) => r.name)).toEqual(['RBAC_ROLE_PERMIT_ALL', 'RBAC_ROLE_OBSERVER']);
    expect(list[0]?.permission_sets_with_scope).toEqual([{ name: 'SuperUser' }]);
    const sets = await call(reader.token, 'GET', '/api/management/v2/useradm/permission_sets?per_page=500');
    expect(sets.statusCode, sets.body).toBe(200);
    const setNames = (sets.json() as { name: string; permissions: unknown[] }[]).map((s) => s.name);
    // Every set a role names is listed.
    for (const r of list) for (const p of r.permission_sets_with_scope) expect(setNames).toContain(p.name);
    // Users carry the same names in `roles`, so the UI can match them with the list.
    const users = (await call(admin.token, 'GET', `${U}/users`)).json() as {
      email: string;
      roles: string[];
    }[];
    expect(users.find((u) => u.email === admin.email)?.roles).toEqual(['RBAC_ROLE_PERMIT_ALL']);
    expect(users.find((u) => u.email === reader.email)?.roles).toEqual(['RBAC_ROLE_OBSERVER']);
    const me = (await call(reader.token, 'GET', `${U}/users/me`)).json() as { roles: string[] };
    expect(me.roles).toEqual(['RBAC_ROLE_OBSERVER']);
    for (const r of me.roles) expect(list.map((x) => x.name)).toContain(r);
    // Paged like every list.
    expect(
      (await call(admin.token, 'GET', '/api/management/v2/useradm/roles?page=2&per_page=1')).json(),
    ).toEqual([list[1]]);
    expect((await call(undefined, 'GET', '/api/management/v2/useradm/roles')).statusCode).toBe(401);
  });

  it('lists no iot-manager integrations', async () => {
    const res = await call(
      admin.token,
      'GET',
      '/api/management/v1/iot-manager/integrations?page=1&per_page=20',
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
    expect((await call(undefined, 'GET', '/api/management/v1/iot-manager/integrations')).statusCode).toBe(
      401,
    );
  });
});

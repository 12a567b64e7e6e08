import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { jwtPayload } from '../helpers/rows.js';

const U = '/api/management/v1/useradm';
const basic = (email: string, password: string) =>
  `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

describe.each(dialects())('users and management tokens on %s', (dialect) => {
  let t: TestServer;
  let admin: Awaited<ReturnType<typeof adminToken>>;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: { maxSessionsPerUser: '6' } });
    admin = await adminToken(t.gh);
  });
  afterAll(() => t.close());

  const login = (email: string, password: string, extra: { payload?: string; contentType?: string } = {}) =>
    t.app.inject({
      method: 'POST',
      url: `${U}/auth/login`,
      headers: {
        authorization: basic(email, password),
        ...(extra.contentType ? { 'content-type': extra.contentType } : {}),
      },
      payload: extra.payload,
    });

  it('logs in with HTTP Basic and answers a bare JWT, as mender-cli expects', async () => {
    const res = await login(admin.email.toUpperCase(), admin.password, {
      contentType: 'application/json',
      payload: '',
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/jwt/);
    expect(res.body).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(jwtPayload(res.body)).toMatchObject({ sub: admin.userId, 'mender.user': true });
    const withBody = await login(admin.email, admin.password, {
      contentType: 'application/json',
      payload: '{"token2fa":"123456"}',
    });
    expect(withBody.statusCode).toBe(200);
  });

  it('answers the same 401 for an unknown user and a wrong password', async () => {
    const a = await login(admin.email, 'wrong password!');
    const b = await login('nobody@example.com', admin.password);
    expect(a.statusCode).toBe(401);
    expect(b.statusCode).toBe(401);
    expect(a.json().error).toBe(b.json().error);
    const none = await t.app.inject({ method: 'POST', url: `${U}/auth/login` });
    expect(none.json().error).toBe('invalid or missing auth header');
  });

  it('revokes the token on logout', async () => {
    const token = (await login(admin.email, admin.password)).body;
    const me = () => t.app.inject({ method: 'GET', url: `${U}/users/me`, headers: bearer(token) });
    expect((await me()).statusCode).toBe(200);
    expect(
      (await t.app.inject({ method: 'POST', url: `${U}/auth/logout`, headers: bearer(token) })).statusCode,
    ).toBe(202);
    expect((await me()).statusCode).toBe(401);
  });

  it('keeps at most the configured number of sessions per user', async () => {
    const u = await adminToken(t.gh);
    const tokens = [u.token];
    for (let i = 0; i < 6; i++) tokens.push((await login(u.email, u.password)).body);
    const status = async (tok: string) =>
      (await t.app.inject({ method: 'GET', url: `${U}/users/me`, headers: bearer(tok) })).statusCode;
    expect(await status(tokens[0] as string)).toBe(401);
    expect(await status(tokens[1] as string)).toBe(200);
    expect(await status(tokens[6] as string)).toBe(200);
  });

  it('creates, lists and deletes users; passwords are checked and stored hashed', async () => {
    const create = (body: object) =>
      t.app.inject({ method: 'POST', url: `${U}/users`, headers: bearer(admin.token), payload: body });
    const res = await create({ email: 'New.User@example.com', password: 'a long enough password' });
    expect(res.statusCode).toBe(201);
    const id = (res.headers.location as string).split('/').pop() as string;
    expect((await create({ email: 'new.user@example.com', password: 'another password' })).statusCode).toBe(
      422,
    );
    expect((await create({ email: 'short@example.com', password: 'short' })).statusCode).toBe(422);
    expect((await create({ email: 'not-an-email', password: 'long enough password' })).statusCode).toBe(400);
    expect(
      (await create({ email: 'x@example.com', password: 'long enough password', role: 'root' })).statusCode,
    ).toBe(400);
    const list = (
      await t.app.inject({ method: 'GET', url: `${U}/users`, headers: bearer(admin.token) })
    ).json() as { id: string; email: string }[];
    expect(list.find((u) => u.id === id)?.email).toBe('new.user@example.com');
    expect(JSON.stringify(list)).not.toMatch(/password/);
    const row = await t.gh.store.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain('a long enough password');
    expect((await login('new.user@example.com', 'a long enough password')).statusCode).toBe(200);
    expect(
      (await t.app.inject({ method: 'DELETE', url: `${U}/users/${id}`, headers: bearer(admin.token) }))
        .statusCode,
    ).toBe(204);
    expect((await login('new.user@example.com', 'a long enough password')).statusCode).toBe(401);
  });

  it('lets a read-only user look but not change', async () => {
    const ro = await adminToken(t.gh, { role: 'readonly' });
    expect(
      (await t.app.inject({ method: 'GET', url: `${U}/users`, headers: bearer(ro.token) })).statusCode,
    ).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/management/v2/devauth/devices',
      headers: bearer(ro.token),
      payload: { identity_data: { mac: 'x' }, pubkey: 'x' },
    });
    expect(res.statusCode).toBe(403);
    expect(
      (await t.app.inject({ method: 'POST', url: `${U}/auth/logout`, headers: bearer(ro.token) })).statusCode,
    ).toBe(202);
  });

  it('hides users of other tenants behind 404', async () => {
    const { tenant } = await t.gh.tenants.service.create({ name: 'other' });
    const other = await adminToken(t.gh, { tenantId: tenant.id });
    const res = await t.app.inject({
      method: 'GET',
      url: `${U}/users/${admin.userId}`,
      headers: bearer(other.token),
    });
    expect(res.statusCode).toBe(404);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `${U}/users/${admin.userId}`,
      headers: bearer(other.token),
    });
    expect(del.statusCode).toBe(404);
    const list = (
      await t.app.inject({ method: 'GET', url: `${U}/users`, headers: bearer(other.token) })
    ).json() as { id: string }[];
    expect(list.map((u) => u.id)).toEqual([other.userId]);
  });

  it('issues, lists and revokes personal access tokens usable as Bearer', async () => {
    const create = (body: object) =>
      t.app.inject({
        method: 'POST',
        url: `${U}/settings/tokens`,
        headers: bearer(admin.token),
        payload: body,
      });
    const res = await create({ name: 'ci', expires_in: 3600 });
    expect(res.statusCode).toBe(200);
    const pat = res.body;
    expect((await create({ name: 'ci' })).statusCode).toBe(409);
    expect((await create({ name: 'x', expires_in: 40_000_000 })).statusCode).toBe(400);
    const use = () =>
      t.app.inject({ method: 'GET', url: '/api/management/v2/devauth/devices', headers: bearer(pat) });
    expect((await use()).statusCode).toBe(200);
    const list = (
      await t.app.inject({ method: 'GET', url: `${U}/settings/tokens`, headers: bearer(admin.token) })
    ).json() as {
      id: string;
      name: string;
      expiration_date: string;
    }[];
    const entry = list.find((x) => x.name === 'ci');
    expect(entry?.expiration_date).toEqual(expect.any(String));
    expect(JSON.stringify(list)).not.toContain(pat);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `${U}/settings/tokens/${entry?.id}`,
          headers: bearer(admin.token),
        })
      ).statusCode,
    ).toBe(204);
    expect((await use()).statusCode).toBe(401);
  });
});

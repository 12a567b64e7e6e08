import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// A new password ends the user's other tokens, sessions and personal access tokens alike; the
// token that made the change survives when it is the user's own (as Mender's useradm does).
// Changing one's own password needs the current one, so a stolen session cannot take the account.

const USERS = '/api/management/v1/useradm/users';

describe.each(dialects())('password change on %s', (dialect) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
  });
  afterAll(() => t.close());

  const login = (email: string, password: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/management/v1/useradm/auth/login',
      headers: { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` },
    });
  const session = async (email: string, password: string) => {
    const res = await login(email, password);
    expect(res.statusCode, res.body).toBe(200);
    return res.body;
  };
  const pat = async (token: string, name: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/management/v1/useradm/settings/tokens',
      headers: bearer(token),
      payload: { name },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.body;
  };
  const works = async (token: string) =>
    (await t.app.inject({ method: 'GET', url: `${USERS}/me`, headers: bearer(token) })).statusCode === 200;
  const put = (token: string, id: string, payload: Record<string, string>) =>
    t.app.inject({ method: 'PUT', url: `${USERS}/${id}`, headers: bearer(token), payload });

  it('ends every other session and personal access token of the user, keeping the one that changed it', async () => {
    const u = await adminToken(t.gh);
    const [s2, s3] = [await session(u.email, u.password), await session(u.email, u.password)];
    const p1 = await pat(u.token, 'ci');
    expect(await Promise.all([u.token, s2, s3, p1].map(works))).toEqual([true, true, true, true]);

    const res = await put(u.token, 'me', { password: 'a brand new password', current_password: u.password });
    expect(res.statusCode, res.body).toBe(204);
    expect(await works(u.token)).toBe(true);
    expect(await Promise.all([s2, s3, p1].map(works))).toEqual([false, false, false]);
    expect((await login(u.email, u.password)).statusCode).toBe(401);
    expect(await works(await session(u.email, 'a brand new password'))).toBe(true);
  });

  it('keeps the personal access token that made the change, when it is the user’s own', async () => {
    const u = await adminToken(t.gh);
    const p1 = await pat(u.token, 'automation');
    const p2 = await pat(u.token, 'other');
    const res = await put(p1, u.userId, { password: 'rotated by a script 1', current_password: u.password });
    expect(res.statusCode, res.body).toBe(204);
    expect(await Promise.all([p1, u.token, p2].map(works))).toEqual([true, false, false]);
  });

  it("ends all of another user's tokens when an admin sets their password, and none of the admin's", async () => {
    const admin = await adminToken(t.gh);
    const other = await adminToken(t.gh, { role: 'readonly' });
    const otherSession = await session(other.email, other.password);
    const res = await put(admin.token, other.userId, { password: 'set by the admin 1' });
    expect(res.statusCode, res.body).toBe(204);
    expect(await Promise.all([other.token, otherSession].map(works))).toEqual([false, false]);
    expect(await works(admin.token)).toBe(true);
  });

  it('leaves sessions alone when only the email changes, and ends nothing when the change is refused', async () => {
    const u = await adminToken(t.gh);
    const s2 = await session(u.email, u.password);
    expect((await put(u.token, 'me', { email: `renamed-${u.userId}@example.com` })).statusCode).toBe(204);
    expect(await works(s2)).toBe(true);
    // A refused change (too short, or without the right current password) ends nothing.
    const refused = [
      await put(u.token, 'me', { password: 'short', current_password: u.password }),
      await put(u.token, 'me', { password: 'long enough 12345' }),
      await put(u.token, 'me', { password: 'long enough 12345', current_password: 'not the password' }),
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([422, 422, 422]);
    expect(refused[2]?.json()).toMatchObject({ error: 'current_password: missing or does not match' });
    expect(await works(s2)).toBe(true);
    expect((await login(`renamed-${u.userId}@example.com`, u.password)).statusCode).toBe(200);
  });

  it('counts a wrong current password as a failed login: a stolen session cannot guess faster', async () => {
    const u = await adminToken(t.gh);
    const guess = (i: number) =>
      t.app.inject({
        method: 'PUT',
        url: `${USERS}/me`,
        headers: bearer(u.token),
        payload: { password: 'the thief wants this one', current_password: `guess number ${i}` },
        remoteAddress: '10.31.0.1',
      });
    const answers: number[] = [];
    for (let i = 1; i <= 11; i++) answers.push((await guess(i)).statusCode);
    // Ten failures of the account at that address lock the pair (docs/limits.md); the tenth is 429.
    expect(answers.slice(0, 9)).toEqual(Array(9).fill(422));
    expect(answers.slice(9)).toEqual([429, 429]);
    expect((await guess(12)).headers['retry-after']).toMatch(/^\d+$/);
    // The owner, at another address, still logs in and changes the password with the real one.
    const owner = await t.app.inject({
      method: 'PUT',
      url: `${USERS}/me`,
      headers: bearer(await session(u.email, u.password)),
      payload: { password: 'the owner chose this', current_password: u.password },
      remoteAddress: '10.31.0.2',
    });
    expect(owner.statusCode, owner.body).toBe(204);
  });
});

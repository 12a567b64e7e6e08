import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { hasTool, makeRootCa, pkiDir } from '../helpers/openssl.js';
import { registerVerifiedCa } from './pki-setup.js';

// Individual enrollments and registration records through the management API, plus what every
// enrollment resource shares: tenancy (404 elsewhere), read-only users (403 on changes), events.

const BASE = '/api/management/v1/enrollment';
const GROUPS = `${BASE}/groups`;
const INDIVIDUALS = `${BASE}/individuals`;
const REGISTRATIONS = `${BASE}/registrations`;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const FINGERPRINT = 'ab'.repeat(32);
type Res = { statusCode: number; body: string; headers: Record<string, unknown>; json(): unknown };
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** An error answer: the status, a JSON body with a string `error` (never a 500). */
const expectError = (r: Res, status: number, pattern?: RegExp) => {
  expect(r.statusCode, r.body).toBe(status);
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  const { error } = r.json() as { error?: unknown };
  expect(typeof error, r.body).toBe('string');
  if (pattern) expect(error).toMatch(pattern);
};

describe.skipIf(!hasTool('openssl')).each(dialects())('individual enrollments on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  const dir = pkiDir();
  const cas: string[] = [];

  beforeAll(async () => {
    const roots = [0, 1, 2].map((i) => makeRootCa(dir, `ie-root-${i}`));
    t = await startTestGatehouse(dialect);
    token = (await adminToken(t.gh)).token;
    for (const r of roots) cas.push(await registerVerifiedCa(t.app, token, dir, r));
  });
  afterAll(async () => t?.close());

  const call = (method: Method, url: string, payload?: unknown, tok = token) =>
    t.app.inject({
      method,
      url,
      headers: bearer(tok),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const created = async (url: string, body: Record<string, unknown>) => {
    const r = await call('POST', url, body);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.headers.location).toBe(`${url}/${r.json().id}`);
    return r.json();
  };

  it('creates, reads, lists, patches and deletes individual enrollments', async () => {
    const g = await created(GROUPS, { name: 'ind', ca_id: cas[0] });
    const minimal = await created(INDIVIDUALS, { registration_id: 'sensor-1' });
    expect(minimal).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      registration_id: 'sensor-1',
      enabled: true,
      group_id: null,
      certificate_fingerprint: null,
      inventory_group: null,
      tags: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const colons = FINGERPRINT.toUpperCase().match(/../g)?.join(':');
    expect(colons).toHaveLength(95);
    const full = await created(INDIVIDUALS, {
      registration_id: 'CN=sensor 2',
      enabled: false,
      group_id: g.id,
      certificate_fingerprint: colons,
      inventory_group: 'pinned',
      tags: { site: 'lab' },
    });
    expect(full).toMatchObject({
      registration_id: 'CN=sensor 2',
      enabled: false,
      group_id: g.id,
      certificate_fingerprint: FINGERPRINT,
      inventory_group: 'pinned',
      tags: { site: 'lab' },
    });
    expect((await call('GET', `${INDIVIDUALS}/${full.id}`)).json()).toEqual(full);

    const all = await call('GET', `${INDIVIDUALS}?per_page=1`);
    expect(all.headers['x-total-count']).toBe('2');
    expect(all.json()).toEqual([minimal]);
    expect((await call('GET', `${INDIVIDUALS}?per_page=1&page=2`)).json()).toEqual([full]);
    expect((await call('GET', `${INDIVIDUALS}?group_id=${g.id}`)).json()).toEqual([full]);
    expect((await call('GET', `${INDIVIDUALS}?group_id=not-a-uuid`)).json()).toEqual([]);
    expectError(await call('GET', `${INDIVIDUALS}?group_id=a%00b`), 400, /NUL/);

    expectError(await call('POST', INDIVIDUALS, { registration_id: 'sensor-1' }), 409, /registration_id/);
    for (const [body, pattern] of [
      [{ registration_id: 'x', certificate_fingerprint: 'ab'.repeat(31) }, /certificate_fingerprint/],
      [{ registration_id: 'x', certificate_fingerprint: 'zz'.repeat(32) }, /certificate_fingerprint/],
      [{ registration_id: 'x', certificate_fingerprint: `${FINGERPRINT}00` }, /certificate_fingerprint/],
      [{ registration_id: 'x', certificate_fingerprint: 'a'.repeat(96) }, /certificate_fingerprint/],
      [{ registration_id: 'x', group_id: UNKNOWN }, /group_id/],
      [{ registration_id: 'x', group_id: 'not-a-uuid' }, /group_id/],
      [{ registration_id: '' }, /registration_id/],
      [{ registration_id: 'r'.repeat(257) }, /registration_id/],
      [{ registration_id: 'a\u0000' }, /NUL/],
      [{ registration_id: 'x', tags: { 'k\u0000': 'v' } }, /NUL/],
      [{}, /registration_id/],
      [{ registration_id: 'x', inventory_group: 'a b' }, /inventory_group/],
      [{ registration_id: 'x', tags: { a: 1 } }, /tags/],
    ] as const)
      expectError(await call('POST', INDIVIDUALS, body), 400, pattern);

    const patch = async (body: Record<string, unknown>) => {
      const r = await call('PATCH', `${INDIVIDUALS}/${full.id}`, body);
      expect(r.statusCode, r.body).toBe(200);
      expect((await call('GET', `${INDIVIDUALS}/${full.id}`)).json()).toEqual(r.json());
      return r.json();
    };
    expect(await patch({ enabled: true, registration_id: 'sensor-2' })).toMatchObject({
      enabled: true,
      registration_id: 'sensor-2',
      group_id: g.id,
    });
    expect((await patch({ certificate_fingerprint: 'CD'.repeat(32) })).certificate_fingerprint).toBe(
      'cd'.repeat(32),
    );
    expect(
      await patch({ group_id: null, certificate_fingerprint: null, inventory_group: null, tags: null }),
    ).toMatchObject({ group_id: null, certificate_fingerprint: null, inventory_group: null, tags: null });
    expect((await patch({ group_id: g.id, tags: {} })).tags).toEqual({});
    expectError(await call('PATCH', `${INDIVIDUALS}/${full.id}`, { registration_id: 'sensor-1' }), 409);
    expectError(await call('PATCH', `${INDIVIDUALS}/${full.id}`, { group_id: UNKNOWN }), 400, /group_id/);
    expectError(await call('PATCH', `${INDIVIDUALS}/${full.id}`, { certificate_fingerprint: 'x' }), 400);
    expectError(await call('PATCH', `${INDIVIDUALS}/${full.id}`, {}), 400);
    expectError(await call('PATCH', `${INDIVIDUALS}/${UNKNOWN}`, { enabled: true }), 404);

    expect((await call('DELETE', `${INDIVIDUALS}/${minimal.id}`)).statusCode).toBe(204);
    expectError(await call('GET', `${INDIVIDUALS}/${minimal.id}`), 404, /individual enrollment not found/);
    expectError(await call('DELETE', `${INDIVIDUALS}/${minimal.id}`), 404);
    expectError(await call('GET', `${INDIVIDUALS}/not-a-uuid`), 404);
    // The registration id is free again.
    const again = await created(INDIVIDUALS, { registration_id: 'sensor-1' });

    // Deleting a group takes its individual enrollments with it, and only those.
    expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
    expectError(await call('GET', `${INDIVIDUALS}/${full.id}`), 404);
    const left = await call('GET', INDIVIDUALS);
    expect(left.headers['x-total-count']).toBe('1');
    expect(left.json()).toEqual([again]);
    expect((await call('DELETE', `${INDIVIDUALS}/${again.id}`)).statusCode).toBe(204);
  });

  it('records group and individual changes in the audit log', async () => {
    const g = await created(GROUPS, { name: 'audited', ca_id: cas[1] });
    await call('PATCH', `${GROUPS}/${g.id}`, { enabled: false });
    const e = await created(INDIVIDUALS, { registration_id: 'audited-1', group_id: g.id });
    await call('PATCH', `${INDIVIDUALS}/${e.id}`, { enabled: false });
    expect((await call('DELETE', `${INDIVIDUALS}/${e.id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);

    const r = await call('GET', '/api/management/v1/audit/events?type=enrollment.*&per_page=100');
    expect(r.statusCode).toBe(200);
    const events = (r.json() as { type: string; data: Record<string, unknown> }[]).filter(
      (ev) => ev.data.enrollment_group_id === g.id || ev.data.individual_enrollment_id === e.id,
    );
    // Newest first.
    expect(events.map((ev) => ev.type)).toEqual([
      'enrollment.group_removed',
      'enrollment.individual_removed',
      'enrollment.individual_updated',
      'enrollment.individual_created',
      'enrollment.group_updated',
      'enrollment.group_created',
    ]);
    expect(events[5]?.data).toMatchObject({ name: 'audited', ca_id: cas[1], enabled: true });
    expect(events[4]?.data).toMatchObject({ enabled: false });
    expect(events[3]?.data).toMatchObject({ registration_id: 'audited-1', enrollment_group_id: g.id });
    expect(events[2]?.data).toMatchObject({ enabled: false });
  });

  it('hides every resource from other tenants (404) and lets read-only users only look (403)', async () => {
    const g = await created(GROUPS, { name: 'mine', ca_id: cas[2] });
    const e = await created(INDIVIDUALS, { registration_id: 'mine-1', group_id: g.id });
    const other = await t.gh.tenants.service.create({ name: 'elsewhere' });
    const otherToken = (await adminToken(t.gh, { tenantId: other.tenant.id })).token;

    for (const [m, u, body] of [
      ['GET', `${GROUPS}/${g.id}`],
      ['PATCH', `${GROUPS}/${g.id}`, { enabled: false }],
      ['DELETE', `${GROUPS}/${g.id}`],
      ['GET', `${INDIVIDUALS}/${e.id}`],
      ['PATCH', `${INDIVIDUALS}/${e.id}`, { enabled: false }],
      ['DELETE', `${INDIVIDUALS}/${e.id}`],
      ['GET', `${REGISTRATIONS}/${UNKNOWN}`],
    ] as const)
      expectError(await call(m, u, body, otherToken), 404);
    for (const u of [GROUPS, INDIVIDUALS, REGISTRATIONS, `${INDIVIDUALS}?group_id=${g.id}`]) {
      const r = await call('GET', u, undefined, otherToken);
      expect(r.statusCode, u).toBe(200);
      expect(r.json(), u).toEqual([]);
      expect(r.headers['x-total-count'], u).toBe('0');
    }
    // Our CA and group are unknown references over there; our registration id is free.
    expectError(await call('POST', GROUPS, { name: 'x', ca_id: cas[2] }, otherToken), 400, /ca_id/);
    expectError(
      await call('POST', INDIVIDUALS, { registration_id: 'y', group_id: g.id }, otherToken),
      400,
      /group_id/,
    );
    const theirs = await call('POST', INDIVIDUALS, { registration_id: 'mine-1' }, otherToken);
    expect(theirs.statusCode, theirs.body).toBe(201);

    const ro = (await adminToken(t.gh, { role: 'readonly' })).token;
    expect((await call('GET', `${GROUPS}/${g.id}`, undefined, ro)).json()).toEqual(g);
    expect((await call('GET', `${INDIVIDUALS}/${e.id}`, undefined, ro)).json()).toEqual(e);
    for (const u of [GROUPS, INDIVIDUALS, REGISTRATIONS])
      expect((await call('GET', u, undefined, ro)).statusCode, u).toBe(200);
    for (const [m, u, body] of [
      ['POST', GROUPS, { name: 'ro', ca_id: cas[1] }],
      ['PATCH', `${GROUPS}/${g.id}`, { enabled: false }],
      ['DELETE', `${GROUPS}/${g.id}`],
      ['POST', INDIVIDUALS, { registration_id: 'ro-1' }],
      ['PATCH', `${INDIVIDUALS}/${e.id}`, { enabled: false }],
      ['DELETE', `${INDIVIDUALS}/${e.id}`],
    ] as const)
      expectError(await call(m, u, body, ro), 403, /read-only/);
    // Nothing changed.
    expect((await call('GET', `${GROUPS}/${g.id}`)).json()).toEqual(g);
    expect((await call('GET', `${INDIVIDUALS}/${e.id}`)).json()).toEqual(e);
    expect((await call('GET', GROUPS)).headers['x-total-count']).toBe('1');
    expect((await call('GET', INDIVIDUALS)).headers['x-total-count']).toBe('1');
    expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
  });

  it('lists no registrations before any device enrolls; unknown or malformed ids are 404', async () => {
    const list = await call('GET', REGISTRATIONS);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([]);
    expect(list.headers['x-total-count']).toBe('0');
    expect((await call('GET', `${REGISTRATIONS}?group_id=${UNKNOWN}`)).json()).toEqual([]);
    expect((await call('GET', `${REGISTRATIONS}?group_id=not-a-uuid`)).json()).toEqual([]);
    expectError(await call('GET', `${REGISTRATIONS}?group_id=a%00b`), 400, /NUL/);
    expectError(await call('GET', `${REGISTRATIONS}?per_page=0`), 400);
    expectError(await call('GET', `${REGISTRATIONS}/${UNKNOWN}`), 404, /no registration record/);
    expectError(await call('GET', `${REGISTRATIONS}/not-a-uuid`), 404, /no registration record/);
    // Read-only resource: no write routes.
    for (const m of ['POST', 'PATCH', 'DELETE'] as const)
      expectError(await call(m, `${REGISTRATIONS}/${UNKNOWN}`, m === 'DELETE' ? undefined : {}), 404);
  });
});

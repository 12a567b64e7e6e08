import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { hasTool, type Issued, makeRootCa, pkiDir } from '../helpers/openssl.js';
import { PKI, registerVerifiedCa } from './pki-setup.js';

// Enrollment groups through the management API: defaults, paging, patching, validation, conflicts
// and the references (CA, allocation webhook, bootstrap channels) a group holds.

const GROUPS = '/api/management/v1/enrollment/groups';
const HOOKS = '/api/management/v1/allocation-webhooks';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';
type Res = { statusCode: number; body: string; headers: Record<string, unknown>; json(): unknown };

/** An error answer: the status, a JSON body with a string `error` (never a 500). */
const expectError = (r: Res, status: number, pattern?: RegExp) => {
  expect(r.statusCode, r.body).toBe(status);
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  const { error } = r.json() as { error?: unknown };
  expect(typeof error, r.body).toBe('string');
  if (pattern) expect(error).toMatch(pattern);
};

describe.skipIf(!hasTool('openssl')).each(dialects())('enrollment groups on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  const dir = pkiDir();
  const cas: string[] = [];
  let otherTenantCa: string;
  let hookId: string;
  let channelId: string;
  let roots: Issued[];

  beforeAll(async () => {
    roots = [0, 1, 2, 3, 4, 5].map((i) => makeRootCa(dir, `eg-root-${i}`));
    t = await startTestGatehouse(dialect, { flags: { webhookAllowPrivateTargets: 'true' } });
    token = (await adminToken(t.gh)).token;
    for (const r of roots.slice(0, 5)) cas.push(await registerVerifiedCa(t.app, token, dir, r));
    const other = await t.gh.tenants.service.create({ name: 'other' });
    const otherToken = (await adminToken(t.gh, { tenantId: other.tenant.id })).token;
    otherTenantCa = await registerVerifiedCa(t.app, otherToken, dir, roots[5] as Issued);
    const hook = await call('POST', HOOKS, { url: 'http://127.0.0.1:9/allocate' });
    expect(hook.statusCode, hook.body).toBe(201);
    hookId = hook.json().id;
    const ch = await call('POST', `/bootstrap/${DEFAULT_TENANT_ID}/channels`, { name: 'telemetry' });
    expect(ch.statusCode, ch.body).toBe(201);
    channelId = ch.json().id;
  });
  afterAll(async () => t?.close());

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, tok = token) =>
    t.app.inject({
      method,
      url,
      headers: bearer(tok),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const ca = (i: number) => cas[i] as string;
  const create = async (body: Record<string, unknown>) => {
    const r = await call('POST', GROUPS, body);
    expect(r.statusCode, r.body).toBe(201);
    return r.json();
  };

  it('creates a group with defaults, reads, lists and deletes it', async () => {
    const r = await call('POST', GROUPS, { name: 'sensors', ca_id: ca(0) });
    expect(r.statusCode, r.body).toBe(201);
    const g = r.json();
    expect(g).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'sensors',
      ca_id: ca(0),
      enabled: true,
      identity: { attribute: 'DeviceId', source: 'cn' },
      inventory_group: null,
      tags: {},
      bootstrap: null,
      allocation_webhook_id: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(r.headers.location).toBe(`${GROUPS}/${g.id}`);

    const read = await call('GET', `${GROUPS}/${g.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(g);
    const list = await call('GET', GROUPS);
    expect(list.headers['x-total-count']).toBe('1');
    expect(list.json()).toEqual([g]);

    expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
    expectError(await call('GET', `${GROUPS}/${g.id}`), 404, /enrollment group not found/);
    expectError(await call('DELETE', `${GROUPS}/${g.id}`), 404);
    expectError(await call('PATCH', `${GROUPS}/${g.id}`, { enabled: false }), 404);
    expectError(await call('GET', `${GROUPS}/not-a-uuid`), 404);
    expect((await call('GET', GROUPS)).headers['x-total-count']).toBe('0');
  });

  it('pages the list oldest first and filters by ?ca_id', async () => {
    const made = [];
    for (const i of [0, 1, 2]) made.push(await create({ name: `paged-${i}`, ca_id: ca(i) }));
    const p1 = await call('GET', `${GROUPS}?per_page=2`);
    expect(p1.headers['x-total-count']).toBe('3');
    expect(p1.json().map((g: { id: string }) => g.id)).toEqual([made[0].id, made[1].id]);
    expect(String(p1.headers.link)).toContain('rel="next"');
    const p2 = await call('GET', `${GROUPS}?per_page=2&page=2`);
    expect(p2.json().map((g: { id: string }) => g.id)).toEqual([made[2].id]);
    expect(String(p2.headers.link)).not.toContain('rel="next"');

    const byCa = await call('GET', `${GROUPS}?ca_id=${ca(1)}`);
    expect(byCa.headers['x-total-count']).toBe('1');
    expect(byCa.json()).toEqual([made[1]]);
    for (const q of [UNKNOWN, 'not-a-uuid']) {
      const none = await call('GET', `${GROUPS}?ca_id=${q}`);
      expect(none.statusCode).toBe(200);
      expect(none.json()).toEqual([]);
    }
    expectError(await call('GET', `${GROUPS}?ca_id=a%00b`), 400, /NUL/);
    expectError(await call('GET', `${GROUPS}?per_page=0`), 400);
    for (const g of made) expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
  });

  it('patches every field; null clears inventory_group, bootstrap and allocation_webhook_id', async () => {
    const g = await create({
      name: 'full',
      ca_id: ca(0),
      enabled: false,
      identity: { attribute: 'SerialNumber', source: 'serial' },
      inventory_group: 'field',
      tags: { site: 'north' },
      bootstrap: { content: '{"k":1}', content_template: 'json', channels: [channelId, channelId] },
      allocation_webhook_id: hookId,
    });
    expect(g).toMatchObject({
      enabled: false,
      identity: { attribute: 'SerialNumber', source: 'serial' },
      inventory_group: 'field',
      tags: { site: 'north' },
      // Channels are deduplicated; active defaults to true.
      bootstrap: { content: '{"k":1}', content_template: 'json', channels: [channelId], active: true },
      allocation_webhook_id: hookId,
    });

    const patch = async (body: Record<string, unknown>) => {
      const r = await call('PATCH', `${GROUPS}/${g.id}`, body);
      expect(r.statusCode, r.body).toBe(200);
      expect((await call('GET', `${GROUPS}/${g.id}`)).json()).toEqual(r.json());
      return r.json();
    };
    expect((await patch({ name: '  renamed  ' })).name).toBe('renamed');
    expect((await patch({ enabled: true })).enabled).toBe(true);
    // A partial identity keeps the other half.
    expect((await patch({ identity: { source: 'fingerprint' } })).identity).toEqual({
      attribute: 'SerialNumber',
      source: 'fingerprint',
    });
    expect((await patch({ identity: { attribute: 'Mac' } })).identity).toEqual({
      attribute: 'Mac',
      source: 'fingerprint',
    });
    expect((await patch({ inventory_group: 'south_2' })).inventory_group).toBe('south_2');
    expect((await patch({ tags: { a: '1', b: '' } })).tags).toEqual({ a: '1', b: '' });
    expect((await patch({ ca_id: ca(3) })).ca_id).toBe(ca(3));
    expect((await patch({ bootstrap: { active: false } })).bootstrap).toEqual({
      content: '',
      content_template: 'none',
      channels: [],
      active: false,
      held: null,
    });
    expect((await patch({ bootstrap: { active: false, held: true } })).bootstrap).toMatchObject({
      held: true,
    });
    const before = await patch({ name: 'renamed' });
    const cleared = await patch({ inventory_group: null, bootstrap: null, allocation_webhook_id: null });
    expect(cleared).toEqual({
      ...before,
      inventory_group: null,
      bootstrap: null,
      allocation_webhook_id: null,
      updated_at: cleared.updated_at,
    });
    expect((await patch({ allocation_webhook_id: hookId })).allocation_webhook_id).toBe(hookId);
    expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
  });

  it('refuses invalid groups with 400 and a JSON error', async () => {
    const base = { name: 'bad', ca_id: ca(4) };
    for (const [body, pattern] of [
      [{ name: 'bad', ca_id: UNKNOWN }, /ca_id names no CA/],
      [{ name: 'bad', ca_id: 'not-a-uuid' }, /ca_id/],
      [{ name: 'bad', ca_id: otherTenantCa }, /ca_id names no CA/],
      [{ name: 'bad' }, /ca_id/],
      [{ ca_id: ca(4) }, /name/],
      [{ ...base, name: '   ' }, /name/],
      [{ ...base, name: 'n'.repeat(129) }, /name/],
      // PostgreSQL text cannot hold NUL: a 400, not a failed write.
      [{ ...base, name: 'a\u0000b' }, /NUL/],
      [{ ...base, identity: { attribute: 'a\u0000' } }, /NUL/],
      [{ ...base, tags: { a: 'b\u0000' } }, /NUL/],
      [{ ...base, bootstrap: { content: 'a\u0000' } }, /NUL/],
      [{ ...base, bootstrap: { channels: ['a\u0000'] } }, /NUL/],
      [{ ...base, identity: { source: 'email' } }, /source/],
      [{ ...base, identity: { attribute: '' } }, /attribute/],
      [{ ...base, identity: { attribute: 'a'.repeat(129) } }, /attribute/],
      [{ ...base, identity: { attribute: ' DeviceId' } }, /attribute/],
      [{ ...base, inventory_group: 'has space' }, /inventory_group/],
      [{ ...base, inventory_group: '' }, /inventory_group/],
      [{ ...base, tags: Object.fromEntries([...Array(21)].map((_, i) => [`t${i}`, 'v'])) }, /tags/],
      [{ ...base, tags: { n: 1 } }, /tags/],
      [{ ...base, bootstrap: { content_template: 'text', content: '{{nope.x}}' } }, /unknown placeholder/],
      [{ ...base, bootstrap: { content_template: 'yaml' } }, /content_template/],
      [{ ...base, bootstrap: { channels: [UNKNOWN] } }, /unknown channel ids/],
      [{ ...base, bootstrap: { channels: ['not-a-channel'] } }, /unknown channel ids/],
      [{ ...base, allocation_webhook_id: UNKNOWN }, /allocation_webhook_id/],
      [{ ...base, allocation_webhook_id: 'nope' }, /allocation_webhook_id/],
      [{ ...base, enabled: 'yes' }, /enabled/],
    ] as const) {
      const r = await call('POST', GROUPS, body);
      expectError(r, 400, pattern);
    }
    expectError(await call('POST', GROUPS, 'name=x'), 415);
    expect((await call('GET', GROUPS)).json()).toEqual([]);

    const g = await create(base);
    for (const body of [
      {},
      { name: '' },
      { ca_id: UNKNOWN },
      { ca_id: otherTenantCa },
      { identity: { source: 'nope' } },
      { inventory_group: 'a/b' },
      { bootstrap: { content_template: 'text', content: '{{nope.x}}' } },
      { bootstrap: { channels: [UNKNOWN] } },
      { allocation_webhook_id: UNKNOWN },
      { tags: null },
    ])
      expectError(await call('PATCH', `${GROUPS}/${g.id}`, body), 400);
    expect((await call('GET', `${GROUPS}/${g.id}`)).json()).toEqual(g);
    expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
  });

  it('answers 409 for a taken name or a CA that already has a group', async () => {
    const a = await create({ name: 'first', ca_id: ca(0) });
    const b = await create({ name: 'second', ca_id: ca(1) });
    expectError(await call('POST', GROUPS, { name: 'first', ca_id: ca(2) }), 409, /name/);
    expectError(await call('POST', GROUPS, { name: 'third', ca_id: ca(0) }), 409, /CA/);
    expectError(await call('PATCH', `${GROUPS}/${b.id}`, { name: 'first' }), 409, /name/);
    expectError(await call('PATCH', `${GROUPS}/${b.id}`, { ca_id: ca(0) }), 409, /CA/);
    // Its own name and CA are no conflict.
    expect((await call('PATCH', `${GROUPS}/${a.id}`, { name: 'first', ca_id: ca(0) })).statusCode).toBe(200);
    expect((await call('GET', GROUPS)).headers['x-total-count']).toBe('2');
    for (const g of [a, b]) expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
  });

  it('keeps a CA or an allocation webhook in use from being deleted (409)', async () => {
    const hook = (await call('POST', HOOKS, { url: 'http://127.0.0.1:9/other' })).json();
    const g = await create({ name: 'user', ca_id: ca(2), allocation_webhook_id: hook.id });

    expectError(await call('DELETE', `${PKI}/cas/${ca(2)}`), 409);
    expect((await call('GET', `${PKI}/cas/${ca(2)}`)).statusCode).toBe(200);
    expectError(await call('DELETE', `${HOOKS}/${hook.id}`), 409, /enrollment group/);
    expect((await call('GET', `${HOOKS}/${hook.id}`)).statusCode).toBe(200);
    expect((await call('GET', `${GROUPS}/${g.id}`)).json()).toEqual(g);

    // Once the group lets go, both can go.
    await call('PATCH', `${GROUPS}/${g.id}`, { allocation_webhook_id: null });
    expect((await call('DELETE', `${HOOKS}/${hook.id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `${GROUPS}/${g.id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `${PKI}/cas/${ca(2)}`)).statusCode).toBe(204);
    expectError(await call('POST', GROUPS, { name: 'late', ca_id: ca(2) }), 400, /ca_id/);
  });
});

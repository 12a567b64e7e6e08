import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { authRequest, type DeviceKeys, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// POST /api/management/v2/devauth/devices/bulk: one action on many devices, each in its own
// transaction through the single-device transitions; every device reported, none skipped.

type DeviceJson = {
  id: string;
  status: string;
  identity_data: Record<string, unknown>;
  auth_sets: { id: string; status: string; ts: string }[];
};
type BulkJson = {
  results: {
    device_id: string;
    ok: boolean;
    status?: string;
    removed?: boolean;
    code?: string;
    error?: string;
  }[];
  succeeded: number;
  failed: number;
  truncated: boolean;
};
type EventJson = { id: string; type: string; device_id: string | null; data: Record<string, unknown> };

const DEVAUTH = '/api/management/v2/devauth';
const BULK = `${DEVAUTH}/devices/bulk`;

describe.each(dialects())('bulk device actions on %s', (dialect) => {
  let t: TestServer;
  let tenantId: string;
  let tenantToken: string;
  let admin: { token: string; email: string; userId: string };

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      flags: { authUnknownPerAddressPerMinute: '0', authUnknownPerTenantPerMinute: '0' },
    });
    const created = await t.gh.tenants.service.create({ name: 'bulk' });
    tenantId = created.tenant.id;
    tenantToken = created.tenantToken;
    admin = await adminToken(t.gh, { tenantId });
  });
  afterAll(() => t.close());

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, token = admin.token) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const bulk = async (body: unknown, token = admin.token) => {
    const res = await api('POST', BULK, body, token);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as BulkJson;
  };
  const knock = async (keys: DeviceKeys, identity: Record<string, unknown>, token = tenantToken) =>
    expect((await t.app.inject(authRequest(keys, identity, { tenantToken: token }))).statusCode).toBe(401);
  const device = async (id: string) => (await api('GET', `${DEVAUTH}/devices/${id}`)).json() as DeviceJson;
  const byMac = async (mac: string) =>
    (
      (
        await api('GET', `${DEVAUTH}/devices?per_page=500&q=${encodeURIComponent(mac)}`)
      ).json() as DeviceJson[]
    ).find((d) => d.identity_data.mac === mac) as DeviceJson;
  const db = () => t.gh.store.db;

  it('accepts 200 pending devices with one filtered request, with labels, and the database agrees', async () => {
    // Real signed auth requests, one key each.
    for (let i = 0; i < 200; i++) await knock(makeDeviceKeys(), { mac: `fleet-${i}` });
    const r = await bulk({
      action: 'accept',
      filter: { status: 'pending', q: 'fleet-' },
      group: 'fleet-a',
      tags: [
        { name: 'site', value: 'oslo' },
        { name: 'batch', value: '7' },
      ],
    });
    expect(r).toMatchObject({ succeeded: 200, failed: 0, truncated: false });
    expect(r.results).toHaveLength(200);
    expect(r.results.every((x) => x.ok && x.status === 'accepted')).toBe(true);

    const ids = r.results.map((x) => x.device_id);
    const devices = await db()
      .selectFrom('devices')
      .select(['id', 'status'])
      .where('id', 'in', ids)
      .execute();
    expect(devices.filter((d) => d.status === 'accepted')).toHaveLength(200);
    const sets = await db()
      .selectFrom('auth_sets')
      .select(['device_id', 'status'])
      .where('device_id', 'in', ids)
      .execute();
    expect(sets).toHaveLength(200);
    expect(sets.every((s) => s.status === 'accepted')).toBe(true);
    const groups = await db()
      .selectFrom('inventory_attributes')
      .select(['device_id', 'value'])
      .where('device_id', 'in', ids)
      .where('scope', '=', 'system')
      .where('name', '=', 'group')
      .execute();
    expect(groups.filter((g) => g.value === '"fleet-a"')).toHaveLength(200);
    const tags = await db()
      .selectFrom('inventory_attributes')
      .select(['name', 'value'])
      .where('device_id', 'in', ids)
      .where('scope', '=', 'tags')
      .execute();
    expect(tags.filter((x) => x.name === 'site' && x.value === '"oslo"')).toHaveLength(200);
    expect(tags.filter((x) => x.name === 'batch' && x.value === '"7"')).toHaveLength(200);
    const events = await db()
      .selectFrom('events')
      .select(['device_id', 'payload'])
      .where('tenant_id', '=', tenantId)
      .where('type', '=', 'device.accepted')
      .where('device_id', 'in', ids)
      .execute();
    expect(events).toHaveLength(200);
    expect(new Set(events.map((e) => e.device_id)).size).toBe(200);
    for (const e of events)
      expect(JSON.parse(e.payload)).toMatchObject({
        bulk: true,
        actor: { type: 'user', id: admin.userId, email: admin.email, token_kind: 'session' },
      });
    expect((await api('GET', `${DEVAUTH}/devices/count?status=pending&q=fleet-`)).json()).toEqual({
      count: 0,
    });
    expect((await api('GET', `${DEVAUTH}/devices/count?group=fleet-a&tag=site=oslo`)).json()).toEqual({
      count: 200,
    });
    // The devices work: one of them gets its token.
    const one = makeDeviceKeys();
    await knock(one, { mac: 'fleet-late' });
    const late = await byMac('fleet-late');
    expect((await bulk({ action: 'accept', device_ids: [late.id] })).succeeded).toBe(1);
    expect((await t.app.inject(authRequest(one, { mac: 'fleet-late' }, { tenantToken }))).statusCode).toBe(
      200,
    );
  }, 120_000);

  it('the audit log names the user after a bulk accept', async () => {
    await knock(makeDeviceKeys(), { mac: 'audited' });
    const d = await byMac('audited');
    await bulk({ action: 'accept', device_ids: [d.id] });
    const res = await api('GET', `/api/management/v1/audit/events?type=device.accepted&device_id=${d.id}`);
    const [event] = res.json() as EventJson[];
    expect(event?.data).toMatchObject({
      actor: { type: 'user', id: admin.userId, email: admin.email },
      bulk: true,
      via: 'manual',
    });
    // Single-device changes name the user too (without `bulk`).
    const rejected = await api('PUT', `${DEVAUTH}/devices/${d.id}/auth/${d.auth_sets[0]?.id}/status`, {
      status: 'rejected',
    });
    expect(rejected.statusCode).toBe(204);
    const [single] = (
      await api('GET', `/api/management/v1/audit/events?type=device.rejected&device_id=${d.id}`)
    ).json() as EventJson[];
    expect(single?.data.actor).toMatchObject({ email: admin.email });
    expect(single?.data.bulk).toBeUndefined();
    const pre = await api('POST', `${DEVAUTH}/devices`, {
      identity_data: { mac: 'audited-pre' },
      pubkey: makeDeviceKeys().publicPem,
    });
    expect(pre.statusCode).toBe(201);
    const [preEvent] = (
      await api('GET', '/api/management/v1/audit/events?type=device.preauthorized')
    ).json() as EventJson[];
    expect(preEvent?.data.actor).toMatchObject({ id: admin.userId });
  });

  it('reports each device of a mixed list: unknown, malformed, foreign, nothing to do, done', async () => {
    await knock(makeDeviceKeys(), { mac: 'mixed-pending' });
    const pending = await byMac('mixed-pending');
    const acceptedKeys = makeDeviceKeys();
    await knock(acceptedKeys, { mac: 'mixed-accepted' });
    const accepted = await byMac('mixed-accepted');
    await bulk({ action: 'accept', device_ids: [accepted.id] });
    const other = await t.gh.tenants.service.create({ name: 'bulk-other' });
    await knock(makeDeviceKeys(), { mac: 'mixed-foreign' }, other.tenantToken);
    const foreign = (await t.gh.devauth.admin.listDevices(other.tenant.id, { page: { page: 1, perPage: 5 } }))
      .devices[0]?.id as string;
    const unknown = randomUUID();
    const before = await db()
      .selectFrom('devices')
      .select(['id', 'status', 'updated_at'])
      .orderBy('id')
      .execute();

    const r = await bulk({
      action: 'accept',
      device_ids: [unknown, pending.id, 'not-a-uuid', foreign, accepted.id],
    });
    expect(r.results).toEqual([
      { device_id: unknown, ok: false, code: 'not_found', error: 'device not found' },
      { device_id: pending.id, ok: true, status: 'accepted' },
      { device_id: 'not-a-uuid', ok: false, code: 'not_found', error: 'device not found' },
      { device_id: foreign, ok: false, code: 'not_found', error: 'device not found' },
      { device_id: accepted.id, ok: false, code: 'no_pending_auth_set', error: expect.any(String) },
    ]);
    expect(r).toMatchObject({ succeeded: 1, failed: 4, truncated: false });
    const after = await db()
      .selectFrom('devices')
      .select(['id', 'status', 'updated_at'])
      .orderBy('id')
      .execute();
    expect(after.filter((d) => d.id !== pending.id)).toEqual(before.filter((d) => d.id !== pending.id));
    const foreignNow = await db()
      .selectFrom('devices')
      .select('status')
      .where('id', '=', foreign)
      .executeTakeFirst();
    expect(foreignNow?.status).toBe('pending');
  });

  it('handles devices with several auth sets: newest pending key, rejecting all, dismissing the pending ones', async () => {
    // Accepted key A plus a pending key B (rotation): accept takes B and rejects A.
    const a = makeDeviceKeys();
    const b = makeDeviceKeys();
    await knock(a, { mac: 'multi-1' });
    const m1 = await byMac('multi-1');
    await bulk({ action: 'accept', device_ids: [m1.id] });
    await knock(b, { mac: 'multi-1' });
    const r1 = await bulk({ action: 'accept', device_ids: [m1.id] });
    expect(r1.results[0]).toMatchObject({ ok: true, status: 'accepted' });
    expect((await t.app.inject(authRequest(b, { mac: 'multi-1' }, { tenantToken }))).statusCode).toBe(200);
    expect((await t.app.inject(authRequest(a, { mac: 'multi-1' }, { tenantToken }))).statusCode).toBe(401);
    expect((await device(m1.id)).auth_sets.map((s) => s.status).sort()).toEqual(['accepted', 'rejected']);

    // Two pending keys: the newest is accepted, the other stays pending.
    const older = makeDeviceKeys();
    const newer = makeDeviceKeys();
    await knock(older, { mac: 'multi-2' });
    await new Promise((r) => setTimeout(r, 5));
    await knock(newer, { mac: 'multi-2' });
    const m2 = await byMac('multi-2');
    expect((await bulk({ action: 'accept', device_ids: [m2.id] })).succeeded).toBe(1);
    expect((await t.app.inject(authRequest(newer, { mac: 'multi-2' }, { tenantToken }))).statusCode).toBe(
      200,
    );
    expect((await device(m2.id)).auth_sets.map((s) => s.status).sort()).toEqual(['accepted', 'pending']);

    // Reject: every pending and accepted key; the device token dies.
    const token = (await t.app.inject(authRequest(newer, { mac: 'multi-2' }, { tenantToken }))).body;
    const rj = await bulk({ action: 'reject', device_ids: [m2.id, m1.id] });
    expect(rj.results.map((x) => [x.ok, x.status])).toEqual([
      [true, 'rejected'],
      [true, 'rejected'],
    ]);
    expect((await device(m2.id)).auth_sets.every((s) => s.status === 'rejected')).toBe(true);
    const inv = await t.app.inject({
      method: 'PATCH',
      url: '/api/devices/v1/inventory/device/attributes',
      headers: bearer(token),
      payload: [{ name: 'x', value: 'y' }],
    });
    expect(inv.statusCode).toBe(401);
    expect((await bulk({ action: 'reject', device_ids: [m2.id] })).results[0]).toMatchObject({
      ok: false,
      code: 'nothing_to_reject',
    });

    // Dismiss: the pending keys go; a device with nothing else left goes too.
    const c = makeDeviceKeys();
    await knock(c, { mac: 'multi-3' });
    const m3 = await byMac('multi-3');
    await bulk({ action: 'accept', device_ids: [m3.id] });
    await knock(makeDeviceKeys(), { mac: 'multi-3' });
    await knock(makeDeviceKeys(), { mac: 'multi-3' });
    await knock(makeDeviceKeys(), { mac: 'multi-4' });
    await knock(makeDeviceKeys(), { mac: 'multi-4' });
    const m4 = await byMac('multi-4');
    expect(m4.auth_sets).toHaveLength(2);
    const ds = await bulk({ action: 'dismiss', device_ids: [m3.id, m4.id] });
    expect(ds.results).toEqual([
      { device_id: m3.id, ok: true, status: 'accepted' },
      { device_id: m4.id, ok: true, removed: true },
    ]);
    expect((await device(m3.id)).auth_sets.map((s) => s.status)).toEqual(['accepted']);
    expect((await api('GET', `${DEVAUTH}/devices/${m4.id}`)).statusCode).toBe(404);
    expect((await bulk({ action: 'dismiss', device_ids: [m3.id] })).results[0]?.code).toBe(
      'no_pending_auth_set',
    );

    // Decommission: device, auth sets, tokens and inventory.
    const dc = await bulk({ action: 'decommission', device_ids: [m1.id, m3.id] });
    expect(dc.results.map((x) => x.removed)).toEqual([true, true]);
    for (const id of [m1.id, m3.id]) {
      expect(await db().selectFrom('auth_sets').select('id').where('device_id', '=', id).execute()).toEqual(
        [],
      );
      expect(
        await db().selectFrom('inventory_attributes').select('name').where('device_id', '=', id).execute(),
      ).toEqual([]);
    }
    const decommissioned = await db()
      .selectFrom('events')
      .select('payload')
      .where('type', '=', 'device.decommissioned')
      .where('device_id', 'in', [m1.id, m3.id])
      .execute();
    expect(decommissioned.map((e) => JSON.parse(e.payload).bulk)).toEqual([true, true]);
  });

  it('refuses read-only users with 403 and changes nothing', async () => {
    await knock(makeDeviceKeys(), { mac: 'ro-target' });
    const target = await byMac('ro-target');
    const ro = await adminToken(t.gh, { tenantId, role: 'readonly' });
    const res = await api('POST', BULK, { action: 'accept', device_ids: [target.id] }, ro.token);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatch(/read-only/);
    expect((await device(target.id)).status).toBe('pending');
  });

  it('refuses malformed requests with 400 and changes nothing', async () => {
    await knock(makeDeviceKeys(), { mac: 'bad-target' });
    const target = await byMac('bad-target');
    const bad = [
      { action: 'accept' },
      { action: 'accept', device_ids: [target.id], filter: {} },
      { action: 'accept', device_ids: [] },
      { action: 'accept', device_ids: [target.id, target.id] },
      { action: 'launch', device_ids: [target.id] },
      { action: 'reject', device_ids: [target.id], group: 'g' },
      { action: 'dismiss', device_ids: [target.id], tags: [{ name: 'a', value: 'b' }] },
      { action: 'accept', device_ids: [target.id], group: 'not a group name!' },
      {
        action: 'accept',
        device_ids: [target.id],
        tags: [
          { name: 'a', value: 'b' },
          { name: 'a', value: 'c' },
        ],
      },
      {
        action: 'accept',
        device_ids: [target.id],
        tags: Array.from({ length: 21 }, (_, i) => ({ name: `t${i}`, value: 'v' })),
      },
      { action: 'accept', device_ids: Array.from({ length: 10_001 }, () => randomUUID()) },
      { action: 'accept', filter: { status: 'bogus' } },
      { action: 'accept', filter: { tag: '=x' } },
      { action: 'accept', filter: { q: 'x'.repeat(257) } },
      { action: 'accept', filter: { unknown: 1 } },
    ];
    for (const body of bad) {
      const res = await api('POST', BULK, body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 200)).toBe(400);
      expect(res.json().error).toEqual(expect.any(String));
    }
    expect((await device(target.id)).status).toBe('pending');
  });

  it('reports devices over the accepted-device limit one by one', async () => {
    const limited = await t.gh.tenants.service.create({ name: 'bulk-limited', maxDevices: 1 });
    const limitedAdmin = await adminToken(t.gh, { tenantId: limited.tenant.id });
    await knock(makeDeviceKeys(), { mac: 'lim-1' }, limited.tenantToken);
    await knock(makeDeviceKeys(), { mac: 'lim-2' }, limited.tenantToken);
    const r = await bulk({ action: 'accept', filter: { status: 'pending' } }, limitedAdmin.token);
    // Which of the two wins the last slot depends on the order the devices were processed in
    // (several at a time on PostgreSQL); exactly one does.
    expect(r.results.map((x) => x.code ?? 'ok').sort()).toEqual(['limit_reached', 'ok']);
    expect(r).toMatchObject({ succeeded: 1, failed: 1 });
  });

  it('answers concurrent bulk requests on the same devices per device, never with a 5xx', async () => {
    for (let i = 0; i < 40; i++) await knock(makeDeviceKeys(), { mac: `race-${i}` });
    const ids = ((await api('GET', `${DEVAUTH}/devices?per_page=500&q=race-`)).json() as DeviceJson[]).map(
      (d) => d.id,
    );
    expect(ids).toHaveLength(40);
    const answers = await Promise.all(
      (['accept', 'reject', 'dismiss', 'decommission', 'accept', 'reject'] as const).map((action) =>
        api('POST', BULK, { action, device_ids: ids }),
      ),
    );
    const allowed = new Set(['not_found', 'conflict', 'no_pending_auth_set', 'nothing_to_reject']);
    for (const res of answers) {
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as BulkJson;
      expect(body.results.map((x) => x.device_id)).toEqual(ids);
      for (const x of body.results) if (!x.ok) expect(allowed, JSON.stringify(x)).toContain(x.code);
    }
    // What is left is consistent: each device's status is the one its auth sets give.
    const left = await db().selectFrom('devices').select(['id', 'status']).where('id', 'in', ids).execute();
    const sets = await db()
      .selectFrom('auth_sets')
      .select(['device_id', 'status'])
      .where('device_id', 'in', ids)
      .execute();
    const weight: Record<string, number> = { accepted: 4, preauthorized: 3, pending: 2, rejected: 1 };
    for (const d of left) {
      const mine = sets.filter((x) => x.device_id === d.id);
      expect(mine.filter((x) => x.status === 'accepted').length).toBeLessThanOrEqual(1);
      const best = mine.reduce(
        (b, x) => ((weight[x.status] ?? 0) > (weight[b] ?? 0) ? x.status : b),
        'noauth',
      );
      expect(d.status, d.id).toBe(best);
    }
  }, 120_000);
});

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { isUuid, orderedIdFloor } from '../../src/core/ids.js';
import type { App } from '../../src/http/types.js';
import { openGatehouse } from '../../src/wiring.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { openSse, type SseMessage, type SseStream } from '../helpers/sse-client.js';
import { recordSyntheticEvents } from '../helpers/synthetic-events.js';

// GET /api/management/v1/events/stream over a real listening server (streams cannot be
// injected): events of the caller's tenant as they are written, resumable, across processes.

const STREAM = '/api/management/v1/events/stream';
type EventData = {
  id: string;
  type: string;
  tenant_id: string;
  device_id: string | null;
  data: Record<string, unknown>;
};

const listen = async (app: App): Promise<string> => {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
};
const dataOf = (m: SseMessage) => JSON.parse(m.data ?? '{}') as EventData;

describe.each(dialects())('live event stream on %s', (dialect) => {
  let t: TestServer;
  let url: string;
  let a: { id: string; token: string; tenantToken: string };
  let b: { id: string; token: string; tenantToken: string };
  const streams: SseStream[] = [];

  const tenant = async (name: string) => {
    const created = await t.gh.tenants.service.create({ name });
    return {
      id: created.tenant.id,
      tenantToken: created.tenantToken,
      token: (await adminToken(t.gh, { tenantId: created.tenant.id })).token,
    };
  };
  const open = async (token: string, query = '', headers: Record<string, string> = {}, base = url) => {
    const s = await openSse(`${base}${STREAM}${query}`, { ...bearer(token), ...headers });
    streams.push(s);
    return s;
  };
  /** A device asks to be admitted: a `device.authset_pending` event of the tenant. */
  const knock = async (tenantToken: string, mac: string) => {
    const res = await t.app.inject(authRequest(makeDeviceKeys(), { mac }, { tenantToken }));
    expect(res.statusCode).toBe(401);
  };
  const pendingOf = (mac: string) => (m: SseMessage) =>
    m.event === 'device.authset_pending' && (dataOf(m).data.identity_data as { mac?: string })?.mac === mac;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      flags: {
        eventsPollMs: '50',
        eventsMaxStreamsPerUser: '3',
        authUnknownPerAddressPerMinute: '0',
        authUnknownPerTenantPerMinute: '0',
      },
      app: { eventStreamHeartbeatMs: 300 },
    });
    url = await listen(t.app);
    a = await tenant('stream-a');
    b = await tenant('stream-b');
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t?.close();
  });

  it('delivers a device auth request as an event of the stream, in the audit event shape', async () => {
    const s = await open(a.token);
    expect(s.status).toBe(200);
    expect(s.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(s.headers.get('cache-control')).toBe('no-cache, no-transform');
    await s.next((m) => m.comment === 'connected');
    await knock(a.tenantToken, 'live-1');
    const m = await s.next(pendingOf('live-1'));
    const e = dataOf(m);
    expect(m.id).toBe(e.id);
    expect(e).toMatchObject({
      type: 'device.authset_pending',
      tenant_id: a.id,
      device_id: expect.any(String),
    });
    expect(e.data).toMatchObject({ identity_data: { mac: 'live-1' } });
    // Exactly as the audit log has it.
    const audit = await t.app.inject({
      method: 'GET',
      url: `/api/management/v1/audit/events?device_id=${e.device_id}`,
      headers: bearer(a.token),
    });
    expect(audit.json()).toContainEqual(e);
    // Heartbeat comments keep the connection alive.
    await s.next((m2) => m2.comment === 'heartbeat');
    s.close();
  });

  it("shows only the caller's tenant, and only the types asked for", async () => {
    const sa = await open(a.token);
    const sb = await open(b.token);
    const typed = await open(a.token, '?type=device.accepted&type=deployment.*');
    await knock(b.tenantToken, 'only-b');
    await knock(a.tenantToken, 'only-a');
    await sa.next(pendingOf('only-a'));
    await sb.next(pendingOf('only-b'));
    const tenantsSeen = (s: SseStream) =>
      new Set(s.messages.filter((m) => m.data).map((m) => dataOf(m).tenant_id));
    expect(tenantsSeen(sa)).toEqual(new Set([a.id]));
    expect(tenantsSeen(sb)).toEqual(new Set([b.id]));
    expect(sa.messages.some(pendingOf('only-b'))).toBe(false);

    const [dev] = (await t.gh.devauth.admin.listDevices(a.id, { q: 'only-a', page: { page: 1, perPage: 5 } }))
      .devices;
    await t.gh.devauth.admin.setAuthSetStatus(
      a.id,
      dev?.id as string,
      dev?.authSets[0]?.id as string,
      'accepted',
    );
    const accepted = await typed.next((m) => m.event === 'device.accepted');
    expect(dataOf(accepted).device_id).toBe(dev?.id);
    expect(typed.messages.filter((m) => m.data).every((m) => m.event === 'device.accepted')).toBe(true);
    for (const s of [sa, sb, typed]) s.close();
  });

  it('resumes after Last-Event-ID with the events since, once each', async () => {
    const first = await open(a.token);
    await knock(a.tenantToken, 'resume-1');
    const seen = await first.next(pendingOf('resume-1'));
    first.close();
    await knock(a.tenantToken, 'resume-2');
    await knock(a.tenantToken, 'resume-3');
    const again = await open(a.token, '', { 'last-event-id': seen.id as string });
    await again.next(pendingOf('resume-3'));
    await knock(a.tenantToken, 'resume-4');
    await again.next(pendingOf('resume-4'));
    const macs = again.messages
      .filter((m) => m.event === 'device.authset_pending')
      .map((m) => (dataOf(m).data.identity_data as { mac: string }).mac);
    expect(macs).toEqual(['resume-2', 'resume-3', 'resume-4']);
    const ids = again.messages.filter((m) => m.id).map((m) => m.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    again.close();

    // Another tenant's event id resumes nothing of theirs; a malformed one is a 400.
    const bad = await open(a.token, '', { 'last-event-id': 'not-an-id' });
    await bad.ended;
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/Last-Event-ID/);
  });

  it('delivers an event that commits after a newer one was delivered (transactions commit out of order)', async () => {
    const s = await open(a.token);
    await knock(a.tenantToken, 'order-new');
    await s.next(pendingOf('order-new'));
    // An event whose id was taken 2 s ago, committed only now (a slow transaction elsewhere).
    const ms = Date.now() - 2000;
    const floor = orderedIdFloor(ms);
    const hex = randomBytes(9).toString('hex');
    const lateId = `${floor.slice(0, 14)}7${hex.slice(0, 3)}-8${hex.slice(3, 6)}-${hex.slice(6, 18)}`;
    expect(isUuid(lateId)).toBe(true);
    await recordSyntheticEvents(t.gh.store.db, [
      { id: lateId, tenantId: a.id, type: 'device.token_revoked', payload: { late: true }, nowMs: ms },
    ]);
    const late = await s.next((m) => m.id === lateId);
    expect(dataOf(late).data).toEqual({ late: true });
    expect(lateId < (s.messages.find(pendingOf('order-new'))?.id as string)).toBe(true);
    await knock(a.tenantToken, 'order-after');
    await s.next(pendingOf('order-after'));
    expect(s.messages.filter((m) => m.id === lateId)).toHaveLength(1);
    s.close();
  });

  it('ends the stream when its token is revoked (logout, deleted user)', async () => {
    const session = await adminToken(t.gh, { tenantId: a.id });
    const s = await open(session.token);
    await s.next((m) => m.comment === 'connected');
    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/management/v1/useradm/auth/logout',
      headers: bearer(session.token),
    });
    expect(logout.statusCode).toBe(202);
    const closed = await s.next((m) => m.event === 'close');
    expect(JSON.parse(closed.data ?? '{}')).toEqual({ reason: 'token no longer valid' });
    await s.ended;

    const doomed = await adminToken(t.gh, { tenantId: a.id });
    const s2 = await open(doomed.token);
    await s2.next((m) => m.comment === 'connected');
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/management/v1/useradm/users/${doomed.userId}`,
      headers: bearer(a.token),
    });
    expect(del.statusCode).toBe(204);
    await s2.next((m) => m.event === 'close');
    await s2.ended;
  });

  it('refuses a missing token (401) and streams beyond the per-user limit (429)', async () => {
    const anon = await openSse(`${url}${STREAM}`, {});
    await anon.ended;
    expect(anon.status).toBe(401);
    const user = await adminToken(t.gh, { tenantId: b.id });
    const held = [await open(user.token), await open(user.token), await open(user.token)];
    for (const s of held) expect(s.status).toBe(200);
    const fourth = await open(user.token);
    await fourth.ended;
    expect(fourth.status).toBe(429);
    expect(JSON.parse(fourth.body).error).toMatch(/at most 3 event streams per user/);
    expect(fourth.headers.get('retry-after')).toBe('10');
    // Closing one makes room.
    held[0]?.close();
    await held[0]?.ended;
    let again: SseStream | undefined;
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      again = await open(user.token);
      if (again.status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(again?.status).toBe(200);
    for (const s of [...held, again]) s?.close();
  });

  it.skipIf(dialect !== 'postgres')(
    'delivers events written by another Gatehouse process on the same database',
    async () => {
      const config = loadConfig(
        {
          dataDir: t.db.dataDir,
          databaseUrl: t.db.url,
          eventsPollMs: '50',
          authUnknownPerAddressPerMinute: '0',
        },
        {},
      );
      const gh2 = await openGatehouse(config);
      const app2 = await buildApp(gh2);
      try {
        const url2 = await listen(app2);
        const onFirst = await open(a.token);
        const onSecond = await open(a.token, '', {}, url2);
        // Written through the second process, read by the first; and the other way round.
        const res = await app2.inject(
          authRequest(makeDeviceKeys(), { mac: 'via-2' }, { tenantToken: a.tenantToken }),
        );
        expect(res.statusCode).toBe(401);
        await onFirst.next(pendingOf('via-2'));
        await knock(a.tenantToken, 'via-1');
        await onSecond.next(pendingOf('via-1'));
        await onSecond.next(pendingOf('via-2'));
        onFirst.close();
        onSecond.close();
      } finally {
        await app2.close();
        await gh2.close();
      }
    },
  );

  it('ends open streams when the server closes, which then finishes', async () => {
    const own = await startTestGatehouse(dialect);
    const ownUrl = await listen(own.app);
    const user = await adminToken(own.gh);
    const s = await openSse(`${ownUrl}${STREAM}`, bearer(user.token));
    await s.next((m) => m.comment === 'connected');
    await own.close();
    const closed = await s.next((m) => m.event === 'close');
    expect(JSON.parse(closed.data ?? '{}')).toEqual({ reason: 'server shutting down' });
    await s.ended;
  });

  it('answers unknown query types and long headers with 400', async () => {
    const res = await openSse(`${url}${STREAM}?type=${'x'.repeat(101)}`, bearer(a.token));
    await res.ended;
    expect(res.status).toBe(400);
    const id = await openSse(`${url}${STREAM}`, {
      ...bearer(a.token),
      'last-event-id': randomUUID().repeat(2),
    });
    await id.ended;
    expect(id.status).toBe(400);
  });
});

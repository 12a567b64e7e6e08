import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { createTestDatabase, dialects } from '../helpers/databases.js';
import { authRequest, makeDeviceKeys } from '../helpers/device-client.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import {
  eventually,
  isSigned,
  type ReceivedRequest,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/webhook-receiver.js';

// Fast retries so "the receiver was down for a while" takes a second, not minutes.
const FLAGS = {
  webhookAllowPrivateTargets: 'true',
  webhookPollIntervalMs: '50',
  webhookSettleMs: '300',
  webhookRetryBaseMs: '100',
  webhookRetryMaxMs: '300',
  webhookTimeoutMs: '3000',
};
const DEVAUTH = '/api/management/v2/devauth';
const WEBHOOKS = '/api/management/v1/webhooks';
const SUBSCRIBED = ['device.*', 'bootstrap.fetched'];

describe.each(dialects())('webhook delivery on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  let receiver: WebhookReceiver;
  let webhookId: string;
  let secret: string;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: FLAGS });
    token = (await adminToken(t.gh)).token;
    receiver = await startWebhookReceiver();
    const r = await t.app.inject({
      method: 'POST',
      url: WEBHOOKS,
      headers: bearer(token),
      payload: {
        url: `${receiver.url}/hooks/gatehouse`,
        event_types: SUBSCRIBED,
        description: 'test receiver',
      },
    });
    expect(r.statusCode, r.body).toBe(201);
    webhookId = r.json().id;
    secret = r.json().secret;
    t.gh.webhooks.worker.start();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const inject = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: Record<string, unknown>,
  ) => t.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });

  /** A device asks to be authorized with its own key: a new pending auth set (401). */
  const newPendingDevice = async (mac: string) => {
    const keys = makeDeviceKeys('ed25519');
    const r = await t.app.inject(authRequest(keys, { mac }));
    expect(r.statusCode).toBe(401);
    const list = (await inject('GET', `${DEVAUTH}/devices?status=pending&per_page=500`)).json() as {
      id: string;
      identity_data: { mac: string };
      auth_sets: { id: string }[];
    }[];
    const d = list.find((x) => x.identity_data.mac === mac);
    if (!d?.auth_sets[0]) throw new Error('pending device not found');
    return { keys, deviceId: d.id, authSetId: d.auth_sets[0].id };
  };
  const setStatus = async (deviceId: string, authSetId: string, status: string) => {
    const r = await inject('PUT', `${DEVAUTH}/devices/${deviceId}/auth/${authSetId}/status`, { status });
    expect(r.statusCode, r.body).toBe(204);
  };
  const decommission = async (deviceId: string) => {
    expect((await inject('DELETE', `${DEVAUTH}/devices/${deviceId}`)).statusCode).toBe(204);
  };
  /** The device's subscribed events in the outbox, in outbox order (the audit log, oldest first). */
  const outboxOf = async (deviceId: string): Promise<{ id: string; type: string }[]> => {
    const r = await inject('GET', `/api/management/v1/audit/events?device_id=${deviceId}&per_page=500`);
    expect(r.statusCode).toBe(200);
    return (r.json() as { id: string; type: string }[])
      .filter((e) => e.type.startsWith('device.') || e.type === 'bootstrap.fetched')
      .reverse()
      .map((e) => ({ id: e.id, type: e.type }));
  };
  /** What the receiver got for a device, duplicates (at-least-once) removed, in arrival order. */
  const receivedFor = (deviceId: string): ReceivedRequest[] => {
    const seen = new Set<string>();
    return receiver.requests.filter((r) => {
      if (r.json?.device_id !== deviceId || seen.has(r.json.id)) return false;
      seen.add(r.json.id);
      return true;
    });
  };
  const waitForAll = (deviceId: string, expected: { id: string }[]) =>
    eventually(`deliveries for ${deviceId}`, () => receivedFor(deviceId).length >= expected.length);

  it('delivers every lifecycle event, signed, in order per device', async () => {
    // Device A: pending, accepted, rejected, decommissioned.
    const a = await newPendingDevice('02:00:00:00:0a:01');
    await setStatus(a.deviceId, a.authSetId, 'accepted');
    await setStatus(a.deviceId, a.authSetId, 'rejected');
    await decommission(a.deviceId);

    // Device B: preauthorized, accepted on its first request, fetches its bootstrap config.
    const bKeys = makeDeviceKeys('ec');
    const pre = await inject('POST', `${DEVAUTH}/devices`, {
      identity_data: { mac: '02:00:00:00:0b:01' },
      pubkey: bKeys.publicPem,
    });
    expect(pre.statusCode, pre.body).toBe(201);
    const auth = await t.app.inject(authRequest(bKeys, { mac: '02:00:00:00:0b:01' }));
    expect(auth.statusCode).toBe(200);
    const bId = (pre.headers.location as string).split('/').pop() as string;
    const cfg = await t.gh.bootstrap.configs.create(DEFAULT_TENANT_ID, {
      externalId: 'b-serial-1',
      externalKey: 'a sufficiently long external key',
      content: '{"hello":"world"}',
      deviceId: bId,
    });
    await t.gh.bootstrap.configs.setState(DEFAULT_TENANT_ID, cfg.id, 1);
    const fetched = await t.app.inject({
      method: 'GET',
      url: '/api/devices/v1/bootstrap/config',
      headers: bearer(auth.body),
    });
    expect(fetched.statusCode, fetched.body).toBe(200);
    await decommission(bId);
    // bootstrap.fetched goes through a write-behind buffer; the settle delay keeps it in order.
    await t.gh.bootstrap.flushEvents();

    const expectedA = await outboxOf(a.deviceId);
    const expectedB = await outboxOf(bId);
    expect(expectedA.map((e) => e.type)).toEqual([
      'device.authset_pending',
      'device.accepted',
      'device.rejected',
      'device.decommissioned',
    ]);
    // The buffered bootstrap.fetched reaches the outbox when flushed, possibly after later
    // events of the device: delivery follows the outbox, whatever that order is.
    expect(expectedB.map((e) => e.type).sort()).toEqual([
      'bootstrap.fetched',
      'device.accepted',
      'device.decommissioned',
      'device.preauthorized',
    ]);
    await waitForAll(a.deviceId, expectedA);
    await waitForAll(bId, expectedB);

    for (const [deviceId, expected] of [
      [a.deviceId, expectedA],
      [bId, expectedB],
    ] as const) {
      const got = receivedFor(deviceId);
      // In order per device: arrival order is outbox order.
      expect(got.map((r) => r.json.id)).toEqual(expected.map((e) => e.id));
      for (const r of got) {
        expect(isSigned(r, secret), 'signature').toBe(true);
        expect(isSigned(r, `${secret}x`)).toBe(false);
        expect(r.path).toBe('/hooks/gatehouse');
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['x-gatehouse-event']).toBe(r.json.type);
        expect(r.headers['x-gatehouse-delivery']).toMatch(/^[0-9a-f-]{36}$/);
        expect(r.json).toMatchObject({
          tenant_id: DEFAULT_TENANT_ID,
          device_id: deviceId,
        });
        expect(Date.parse(r.json.created_at)).not.toBeNaN();
        expect(typeof r.json.data).toBe('object');
      }
    }
    const pending = receivedFor(a.deviceId)[0];
    expect(pending?.json.data).toMatchObject({
      identity_data: { mac: '02:00:00:00:0a:01' },
      key_type: 'ed25519',
    });
    // Only subscribed types arrive (bootstrap.config_created was recorded for B too).
    expect(
      receiver.requests.every(
        (r) => r.json.type.startsWith('device.') || r.json.type === 'bootstrap.fetched',
      ),
    ).toBe(true);

    // The receiver has answered; the worker records that right after.
    const log = await eventually('every delivery recorded as delivered', async () => {
      const r = await inject('GET', `${WEBHOOKS}/${webhookId}/deliveries?per_page=100`);
      return (r.json() as { status: string }[]).every((d) => d.status === 'delivered') && r;
    });
    expect(log.statusCode).toBe(200);
    expect(Number(log.headers['x-total-count'])).toBe(expectedA.length + expectedB.length);
    for (const d of log.json()) {
      expect(d).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 204, last_error: null });
      expect(d.log).toEqual([expect.objectContaining({ attempt: 1, status_code: 204, error: null })]);
    }
  });

  it('delivers what happened while the receiver was down once it is back, still in order', async () => {
    await receiver.close();
    const c = await newPendingDevice('02:00:00:00:0c:01');
    await setStatus(c.deviceId, c.authSetId, 'accepted');
    await decommission(c.deviceId);
    const expected = await outboxOf(c.deviceId);
    expect(expected.map((e) => e.type)).toEqual([
      'device.authset_pending',
      'device.accepted',
      'device.decommissioned',
    ]);

    // Down for a while: the first event of the device fails repeatedly; the later ones wait behind it.
    const head = await eventually('failed attempts while the receiver is down', async () => {
      const r = await inject('GET', `${WEBHOOKS}/${webhookId}/deliveries?event_id=${expected[0]?.id}`);
      const d = r.json()[0];
      return d && d.attempts >= 3 ? d : undefined;
    });
    expect(head.status).toBe('pending');
    expect(head.last_error).toMatch(/ECONNREFUSED/);
    const waiting = (
      await inject('GET', `${WEBHOOKS}/${webhookId}/deliveries?event_id=${expected[2]?.id}`)
    ).json()[0];
    expect(waiting).toMatchObject({ status: 'pending', attempts: 0 });

    await receiver.restart();
    await waitForAll(c.deviceId, expected);
    const got = receivedFor(c.deviceId);
    expect(got.map((r) => r.json.id)).toEqual(expected.map((e) => e.id));
    for (const r of got) expect(isSigned(r, secret)).toBe(true);

    const after = await eventually('the first delivery recorded as delivered', async () => {
      const d = (
        await inject('GET', `${WEBHOOKS}/${webhookId}/deliveries?event_id=${expected[0]?.id}`)
      ).json()[0];
      return d.status === 'delivered' && d;
    });
    expect(after.delivered_at).not.toBeNull();
    const attempts = after.log as { attempt: number; status_code: number | null; error: string | null }[];
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
    for (const a of attempts.slice(0, -1))
      expect(a).toMatchObject({ status_code: null, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(attempts.at(-1)).toMatchObject({ status_code: 204, error: null });
  });
});

describe.each(dialects())('gatehouse serve delivers webhooks on %s', (dialect) => {
  it('starts the worker with the server and stops it with the server', async () => {
    const db = await createTestDatabase(dialect);
    const receiver = await startWebhookReceiver();
    const server = await startServer(
      loadConfig(
        {
          dataDir: db.dataDir,
          databaseUrl: db.url,
          listen: '127.0.0.1:0',
          logLevel: 'silent',
          ...FLAGS,
        },
        {},
      ),
    );
    try {
      const { token } = await adminToken(server.gh);
      const created = await fetch(`${server.url}${WEBHOOKS}`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${receiver.url}/serve`, event_types: ['device.preauthorized'] }),
      });
      expect(created.status).toBe(201);
      const { secret } = (await created.json()) as { secret: string };
      const pre = await fetch(`${server.url}${DEVAUTH}/devices`, {
        method: 'POST',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify({
          identity_data: { mac: '02:00:00:00:0d:01' },
          pubkey: makeDeviceKeys().publicPem,
        }),
      });
      expect(pre.status).toBe(201);
      const got = await eventually('the delivery from the serving process', () =>
        receiver.requests.find((r) => r.json?.type === 'device.preauthorized'),
      );
      expect(isSigned(got, secret)).toBe(true);
    } finally {
      await server.stop();
      await receiver.close();
      await db.drop();
    }
  });
});

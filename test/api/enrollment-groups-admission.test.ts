import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { verifySignature } from '../../src/webhooks/index.js';
import { manualClock } from '../helpers/clock.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { CA_EXT, hasTool, type Issued, makeRootCa, pkiDir, signWith } from '../helpers/openssl.js';
import { type Responder, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import {
  auditEvents,
  certAuth,
  createGroup,
  deviceWithIdentity,
  ENROLLMENT,
  proxyFlags,
} from './enrollment-setup.js';
import { registerVerifiedCa } from './pki-setup.js';

const haveOpenssl = hasTool('openssl');
const INVENTORY = '/api/management/v1/inventory';

describe.skipIf(!haveOpenssl).each(dialects())('enrollment groups at admission on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  const dir = pkiDir();
  let root: Issued;
  let inter: Issued;
  let groupId: string;
  let receiver: WebhookReceiver;
  let answer: Responder = () => ({ status: 200, body: '{"allow": true}' });
  // Ahead of the wall clock, so certificates openssl makes during the run are already valid.
  const clock = manualClock(Date.now() + 10 * 60_000);
  const api = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const leaf = (name: string) => signWith(dir, inter, `${name}-${dialect}`, { days: 2 });

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      clock,
      flags: { ...proxyFlags, webhookAllowPrivateTargets: 'true' },
    });
    token = (await adminToken(t.gh)).token;
    receiver = await startWebhookReceiver({ respond: (r) => answer(r) });
    root = makeRootCa(dir, `grp-root-${dialect}`);
    inter = signWith(dir, root, `grp-int-${dialect}`, { ext: CA_EXT });
    // The intermediate is the registered CA here: devices present it with their leaf.
    const caId = await registerVerifiedCa(t.app, token, dir, inter);
    const channel = await t.app.inject({
      method: 'POST',
      url: `/bootstrap/${DEFAULT_TENANT_ID}/channels`,
      headers: bearer(token),
      payload: { name: `telemetry-${dialect}` },
    });
    expect(channel.statusCode, channel.body).toBe(201);
    groupId = (
      await createGroup(t, token, {
        name: 'field sensors',
        ca_id: caId,
        identity: { attribute: 'serial' },
        inventory_group: 'field',
        tags: { site: 'north', line: '1' },
        bootstrap: {
          content: '{"id": "{{identity.serial}}", "device": "{{device.id}}"}',
          content_template: 'json',
          channels: [channel.json().id],
        },
      })
    ).id;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Admits `l` and returns its device id and token. */
  const admit = async (l: Issued, identity: Record<string, unknown>) => {
    const res = await certAuth(t, [l, inter]);
    expect(res.statusCode, res.body).toBe(200);
    const device = await deviceWithIdentity(t, token, identity);
    expect(device).toMatchObject({ status: 'accepted' });
    return { id: device?.id as string, token: res.body };
  };

  it('gives an admitted device its identity attribute, inventory group, tags and bootstrap config', async () => {
    const l = leaf('grp-sensor');
    const device = await admit(l, { serial: l.name });
    expect((await api('GET', `${INVENTORY}/devices/${device.id}/group`)).json()).toEqual({ group: 'field' });
    const inventory = await api('GET', `${INVENTORY}/devices/${device.id}`);
    expect(inventory.statusCode).toBe(200);
    const tags = inventory
      .json()
      .attributes.filter((a: { scope: string }) => a.scope === 'tags')
      .map((a: { name: string; value: string }) => [a.name, a.value]);
    expect(Object.fromEntries(tags)).toEqual({ site: 'north', line: '1' });
    // The config is created, enabled and linked: the device fetches it with its device token.
    const config = await t.app.inject({
      method: 'GET',
      url: '/api/devices/v1/bootstrap/config',
      headers: bearer(device.token),
    });
    expect(config.statusCode, config.body).toBe(200);
    expect(JSON.parse(config.json().content)).toEqual({ id: l.name, device: device.id });
    const [event] = await auditEvents(t, token, `type=device.enrolled_by_certificate&device_id=${device.id}`);
    expect(event?.data).toMatchObject({
      registration_id: l.name,
      enrollment_group_id: groupId,
      inventory_group: 'field',
      bootstrap: 'created',
    });
  });

  it("holds the created config when the group's template leaves held to the tenant's default and that is on", async () => {
    const settings = (hold: boolean) =>
      t.app.inject({
        method: 'PUT',
        url: `/bootstrap/${DEFAULT_TENANT_ID}/settings`,
        headers: bearer(token),
        payload: { hold_new_configs: hold },
      });
    expect((await settings(true)).statusCode).toBe(200);
    try {
      const l = leaf('grp-held');
      const device = await admit(l, { serial: l.name });
      const fetchConfig = () =>
        t.app.inject({
          method: 'GET',
          url: '/api/devices/v1/bootstrap/config',
          headers: bearer(device.token),
        });
      expect((await fetchConfig()).statusCode).toBe(404);
      const list = await api('GET', `/bootstrap/${DEFAULT_TENANT_ID}/clients/configs?device_id=${device.id}`);
      const [config] = list.json().configs as { client_id: string; held: boolean; state: number }[];
      expect(config).toMatchObject({ held: true, state: 1 });
      const released = await api(
        'PUT',
        `/bootstrap/${DEFAULT_TENANT_ID}/clients/configs/${config?.client_id}/hold`,
        { held: false },
      );
      expect(released.statusCode, released.body).toBe(200);
      expect((await fetchConfig()).statusCode).toBe(200);
    } finally {
      expect((await settings(false)).statusCode).toBe(200);
    }
  });

  it("re-enrolls a renewed certificate (new key) on the same device, keeping the operator's group", async () => {
    const first = leaf('grp-renew');
    const device = await admit(first, { serial: first.name });
    const moved = await api('PUT', `${INVENTORY}/devices/${device.id}/group`, { group: 'moved' });
    expect(moved.statusCode).toBe(204);
    // Same CN, new key: a new auth set on the same device, accepted; the old key is rejected.
    const renewed = signWith(dir, inter, `grp-renew-${dialect}`, { days: 2 });
    const again = await admit(renewed, { serial: first.name });
    expect(again.id).toBe(device.id);
    const d = await deviceWithIdentity(t, token, { serial: first.name });
    expect(d?.auth_sets.map((a) => a.status).sort()).toEqual(['accepted', 'rejected']);
    expect((await api('GET', `${INVENTORY}/devices/${device.id}/group`)).json()).toEqual({ group: 'moved' });
    const events = await auditEvents(t, token, `type=device.enrolled_by_certificate&device_id=${device.id}`);
    expect(events.map((e) => e.data.reenrolled)).toEqual([true, false]);
    expect(events[0]?.data).toMatchObject({ inventory_group: null, bootstrap: 'existing' });
  });

  it('refuses devices of a disabled group, and disabled or pinned individual enrollments', async () => {
    const l = leaf('grp-disabled');
    expect((await api('PATCH', `${ENROLLMENT}/groups/${groupId}`, { enabled: false })).statusCode).toBe(200);
    expect((await certAuth(t, [l, inter])).statusCode).toBe(401);
    expect((await api('PATCH', `${ENROLLMENT}/groups/${groupId}`, { enabled: true })).statusCode).toBe(200);
    const refused = await auditEvents(t, token, 'type=device.enrollment_refused');
    expect(refused.map((e) => e.data.reason)).toContain('the enrollment group is disabled');

    const off = await api('POST', `${ENROLLMENT}/individuals`, { registration_id: l.name, enabled: false });
    expect(off.statusCode).toBe(201);
    expect((await certAuth(t, [l, inter])).statusCode).toBe(401);
    expect(await deviceWithIdentity(t, token, { serial: l.name })).toBeUndefined();

    // Pinned to another certificate: this one is refused; pinned to this one (with its own group): in.
    const pinned = await api('PATCH', `${ENROLLMENT}/individuals/${off.json().id}`, {
      enabled: true,
      certificate_fingerprint: 'AB:'.repeat(31).concat('AB'),
    });
    expect(pinned.statusCode).toBe(200);
    expect((await certAuth(t, [l, inter])).statusCode).toBe(401);
    const fingerprint = new (await import('node:crypto')).X509Certificate(l.pem).fingerprint256;
    expect(
      (
        await api('PATCH', `${ENROLLMENT}/individuals/${off.json().id}`, {
          certificate_fingerprint: fingerprint,
          inventory_group: 'pilot',
          tags: { line: '7' },
        })
      ).statusCode,
    ).toBe(200);
    const device = await admit(l, { serial: l.name });
    expect((await api('GET', `${INVENTORY}/devices/${device.id}/group`)).json()).toEqual({ group: 'pilot' });
  });

  it('asks the allocation webhook: allow with overrides, deny, timeout', async () => {
    const hook = await api('POST', '/api/management/v1/allocation-webhooks', {
      url: `${receiver.url}/allocate`,
      timeout_ms: 300,
    });
    expect(hook.statusCode).toBe(201);
    const { id: hookId, secret } = hook.json();
    expect(
      (await api('PATCH', `${ENROLLMENT}/groups/${groupId}`, { allocation_webhook_id: hookId })).statusCode,
    ).toBe(200);

    answer = () => ({
      status: 200,
      body: JSON.stringify({
        decision: 'allow',
        group: 'override',
        tags: { site: 'south' },
        config: { mqtt: 'm1' },
      }),
    });
    const allowed = leaf('grp-allowed');
    const before = receiver.requests.length;
    const device = await admit(allowed, { serial: allowed.name });
    const call = receiver.requests[before];
    expect(
      call &&
        verifySignature({
          secret,
          body: call.body,
          timestamp: call.headers['x-gatehouse-timestamp'] as string,
          signature: call.headers['x-gatehouse-signature'] as string,
          nowMs: clock.nowMs(),
        }),
    ).toBe(true);
    expect(call?.json).toMatchObject({
      type: 'allocation.request',
      data: {
        registration_id: allowed.name,
        identity: { serial: allowed.name },
        certificate: { subject: `CN=${allowed.name}` },
        enrollment: { group: { id: groupId, name: 'field sensors' } },
      },
    });
    expect((await api('GET', `${INVENTORY}/devices/${device.id}/group`)).json()).toEqual({
      group: 'override',
    });
    const config = await t.app.inject({
      method: 'GET',
      url: '/api/devices/v1/bootstrap/config',
      headers: bearer(device.token),
    });
    expect(JSON.parse(config.json().content)).toEqual({ mqtt: 'm1' });
    // Once accepted, the device is not allocated again on its next auth request.
    expect((await certAuth(t, [allowed, inter])).statusCode).toBe(200);
    expect(receiver.requests.length).toBe(before + 1);

    answer = () => ({ status: 200, body: '{"decision": "deny", "reason": "not on the list"}' });
    const denied = leaf('grp-denied');
    expect((await certAuth(t, [denied, inter])).statusCode).toBe(401);
    expect(await deviceWithIdentity(t, token, { serial: denied.name })).toBeUndefined();
    const [deniedEvent] = await auditEvents(t, token, 'type=allocation.denied');
    expect(deniedEvent?.data).toMatchObject({
      registration_id: denied.name,
      reason: 'denied by allocation webhook: not on the list',
    });
    // The refusal is recorded as every refused certificate is (docs/enrollment.md).
    const [refused] = await auditEvents(t, token, 'type=device.enrollment_refused');
    expect(refused?.data).toMatchObject({
      registration_id: denied.name,
      reason: 'denied by allocation webhook: not on the list',
      enrollment_group_id: groupId,
    });

    answer = () => 'hang';
    const slow = leaf('grp-slow');
    expect((await certAuth(t, [slow, inter])).statusCode).toBe(401);
    expect(await deviceWithIdentity(t, token, { serial: slow.name })).toBeUndefined();
    const [timedOut] = await auditEvents(t, token, 'type=allocation.denied');
    expect(timedOut?.data.reason).toBe('allocation webhook timed out after 300 ms');
    const [refusedSlow] = await auditEvents(t, token, 'type=device.enrollment_refused');
    expect(refusedSlow?.data).toMatchObject({
      registration_id: slow.name,
      reason: 'allocation webhook timed out after 300 ms',
    });

    // The webhook answers again: the same device is now admitted (it keeps asking).
    answer = () => ({ status: 200, body: '{"allow": true}' });
    await admit(slow, { serial: slow.name });
    expect(
      (await api('PATCH', `${ENROLLMENT}/groups/${groupId}`, { allocation_webhook_id: null })).statusCode,
    ).toBe(200);
  });

  it('refuses an expired certificate', async () => {
    const l = leaf('grp-expiring');
    clock.advance(3 * 86_400_000);
    try {
      expect((await certAuth(t, [l, inter])).statusCode).toBe(401);
      expect(await deviceWithIdentity(t, token, { serial: l.name })).toBeUndefined();
    } finally {
      clock.advance(-3 * 86_400_000);
    }
    await admit(l, { serial: l.name });
  });
});

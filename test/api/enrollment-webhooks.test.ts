import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { CA_EXT, hasTool, makeRootCa, pkiDir, signWith } from '../helpers/openssl.js';
import {
  eventually,
  isSigned,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../helpers/webhook-receiver.js';
import { certAuth, deviceWithIdentity, proxyFlags } from './enrollment-setup.js';
import { registerVerifiedCa } from './pki-setup.js';

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('enrollment events through webhooks on %s', (dialect) => {
  let t: TestServer;
  let token: string;
  let receiver: WebhookReceiver;
  let secret: string;
  const dir = pkiDir();

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, {
      flags: {
        ...proxyFlags,
        webhookAllowPrivateTargets: 'true',
        webhookPollIntervalMs: '50',
        webhookSettleMs: '300',
        webhookRetryBaseMs: '100',
        webhookRetryMaxMs: '300',
      },
    });
    token = (await adminToken(t.gh)).token;
    receiver = await startWebhookReceiver();
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/management/v1/webhooks',
      headers: bearer(token),
      payload: { url: `${receiver.url}/hooks`, event_types: ['device.*'] },
    });
    expect(r.statusCode, r.body).toBe(201);
    secret = r.json().secret;
    t.gh.webhooks.worker.start();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('delivers accepted, then enrolled_by_certificate, signed, for a device admitted by certificate', async () => {
    const root = makeRootCa(dir, `wh-root-${dialect}`);
    const inter = signWith(dir, root, `wh-int-${dialect}`, { ext: CA_EXT });
    await registerVerifiedCa(t.app, token, dir, root);
    const leaf = signWith(dir, inter, `wh-leaf-${dialect}`);
    // The receiver is down when the device is admitted: delivery catches up once it is back.
    await receiver.close();
    expect((await certAuth(t, [leaf, inter])).statusCode).toBe(200);
    const device = await deviceWithIdentity(t, token, { DeviceId: leaf.name });
    await new Promise((r) => setTimeout(r, 500));
    await receiver.restart();
    const types = await eventually('enrollment deliveries', () => {
      const mine = receiver.requests.filter((r) => r.json.device_id === device?.id);
      return mine.length >= 2 ? mine : undefined;
    });
    expect(types.map((r) => r.json.type)).toEqual(['device.accepted', 'device.enrolled_by_certificate']);
    expect(types.every((r) => isSigned(r, secret))).toBe(true);
    expect(types[0]?.json.data.via).toBe('certificate');
    expect(types[1]?.json.data).toMatchObject({
      registration_id: leaf.name,
      identity_data: { DeviceId: leaf.name },
    });
  });
});

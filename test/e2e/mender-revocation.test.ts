import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import {
  admitOnRequest,
  authRequestsOf,
  currentJti,
  diagnosticsFor,
  waitForInventoryOk,
} from './helpers/device-flows.js';
import { describeWithMender } from './helpers/host.js';
import { disposeAllDevices, SimDevice } from './helpers/mender-device.js';
import type { RecordedServer } from './helpers/recorded-server.js';
import { startRecordedServer } from './helpers/recorded-server.js';
import { waitFor } from './helpers/wait.js';

/**
 * Reject, decommission and token revocation take effect on the running daemon's very next
 * request (docs/compat/mender-device-auth.md#device-token): the token it holds gets 401, and what the
 * client's re-authentication then gets depends on what the admin did.
 */

for (const dialect of dialects()) {
  describeWithMender(`revoking a running mender daemon (${dialect})`, () => {
    let server: RecordedServer;

    beforeAll(async () => {
      server = await startRecordedServer(dialect);
    });
    afterEach(async (ctx) => {
      await disposeAllDevices({ printLogs: ctx.task.result?.state === 'fail' });
    });
    afterAll(async () => {
      await server?.close();
    });

    /** An accepted daemon that is polling with a token; returns that token's id. */
    const runningAcceptedDevice = async () => {
      const device = await SimDevice.create({ serverUrl: server.url });
      await device.writeKey('ec-p256');
      const { deviceId, authSetId } = await admitOnRequest(server, device);
      return { device, deviceId, authSetId };
    };

    /**
     * Once the admin's action has returned, the daemon is made to send its inventory; the token it
     * held must be refused, and never accepted again. The daemon may have polled on its own in
     * between (and been refused then): the refusal is looked for from before the action
     * (`before`; no request can be refused for it earlier), on any device request.
     */
    const expectTokenRefused = async (device: SimDevice, jti: string, before: number) => {
      device.sendInventoryNow();
      const refused = await waitFor(
        `a request with the old token ${jti} to be refused`,
        () => server.requests.find((r) => r.seq > before && r.jti === jti && r.statusCode === 401),
        { diagnostics: diagnosticsFor(server, device) },
      );
      expect(refused.path).toMatch(/^\/api\/devices\//);
      return refused;
    };

    const expectNoLaterSuccessWith = (jti: string, mark: number) => {
      const accepted = server.requests.filter((r) => r.seq > mark && r.jti === jti && r.statusCode < 400);
      expect(accepted, server.describeRequests()).toEqual([]);
    };

    it('rejecting the auth set: the token fails at once and re-authentication is refused', async () => {
      const { device, deviceId, authSetId } = await runningAcceptedDevice();
      const jti = currentJti(server, deviceId);

      const before = server.mark();
      expect(await server.mgmt.setAuthSetStatus(deviceId, authSetId, 'rejected')).toBe(204);
      const mark = server.mark();
      const refused = await expectTokenRefused(device, jti, before);

      // The client re-authenticates after the 401; it keeps being refused (it retries every second).
      await waitFor(
        'two refused re-authentication attempts',
        () => authRequestsOf(server, device, refused.seq).filter((r) => r.statusCode === 401).length >= 2,
        { diagnostics: diagnosticsFor(server, device) },
      );
      expect(authRequestsOf(server, device, mark).filter((r) => r.statusCode === 200)).toEqual([]);
      expectNoLaterSuccessWith(jti, mark);

      const d = (await server.mgmt.getDevice(deviceId)).body;
      expect(d.status).toBe('rejected');
      expect(d.auth_sets.map((a) => a.status)).toEqual(['rejected']);
    });

    it('decommissioning: the token fails at once; the daemon comes back as a new pending device', async () => {
      const { device, deviceId } = await runningAcceptedDevice();
      const jti = currentJti(server, deviceId);
      expect(
        (await server.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, deviceId)).length,
      ).toBeGreaterThan(0);

      const before = server.mark();
      expect(await server.mgmt.decommission(deviceId)).toBe(204);
      const mark = server.mark();
      const refused = await expectTokenRefused(device, jti, before);

      const reborn = await waitFor(
        'a new pending device with the same identity',
        async () => (await server.mgmt.devicesWithMac(device.mac, 'pending'))[0],
        { diagnostics: diagnosticsFor(server, device) },
      );
      expect(reborn.id).not.toBe(deviceId);
      expect(reborn.identity_data).toEqual({ mac: device.mac });
      expect(reborn.auth_sets.map((a) => a.status)).toEqual(['pending']);
      const reauth = authRequestsOf(server, device, refused.seq);
      expect(reauth.length).toBeGreaterThan(0);
      expect(reauth.every((r) => r.statusCode === 401)).toBe(true);

      // The old device is gone, with its inventory; only the new one carries the identity.
      expect((await server.mgmt.getDevice(deviceId)).status).toBe(404);
      expect(await server.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, deviceId)).toEqual([]);
      expect(await server.mgmt.devicesWithMac(device.mac)).toHaveLength(1);
      expectNoLaterSuccessWith(jti, mark);
    });

    it('revoking the token: it fails at once and the daemon re-authenticates with a new one', async () => {
      const { device, deviceId, authSetId } = await runningAcceptedDevice();
      const jti = currentJti(server, deviceId);

      const before = server.mark();
      expect(await server.mgmt.revokeToken(jti)).toBe(204);
      const mark = server.mark();
      const refused = await expectTokenRefused(device, jti, before);

      // The auth set is still accepted: re-authentication succeeds, and the new token works.
      const reauthOk = await waitFor(
        'a successful re-authentication',
        () => authRequestsOf(server, device, refused.seq).find((r) => r.statusCode === 200),
        { diagnostics: diagnosticsFor(server, device) },
      );
      const next = await waitForInventoryOk(server, device, deviceId, reauthOk.seq, { notJti: jti });
      expect(next.jti).toBeDefined();
      expect(next.jti).not.toBe(jti);
      expectNoLaterSuccessWith(jti, mark);

      // A second revoke of the same token finds nothing; the device itself was never touched.
      expect(await server.mgmt.revokeToken(jti)).toBe(404);
      const d = (await server.mgmt.getDevice(deviceId)).body;
      expect(d.status).toBe('accepted');
      expect(d.auth_sets.map((a) => [a.id, a.status])).toEqual([[authSetId, 'accepted']]);
    });
  });
}

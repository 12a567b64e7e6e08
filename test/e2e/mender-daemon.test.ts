import { createPublicKey } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { dialects } from '../helpers/databases.js';
import {
  admitOnRequest,
  authRequestsOf,
  diagnosticsFor,
  loadDeviceKeys,
  postSignedAuthRequest,
  waitForInventoryOk,
} from './helpers/device-flows.js';
import { describeWithMender } from './helpers/host.js';
import { disposeAllDevices, SimDevice } from './helpers/mender-device.js';
import {
  AUTH_PATH,
  INVENTORY_PATH,
  type RecordedServer,
  startRecordedServer,
} from './helpers/recorded-server.js';
import { waitFor } from './helpers/wait.js';

/**
 * The real `mender daemon` against a listening Gatehouse: authorize-on-request and key rotation.
 * docs/compat/mender-clients.md (#device-key to #status-reports, #test-harness);
 * docs/compat/mender-device-auth.md#device-status; docs/compat/mender-management.md#devauth-devices.
 */

const sameKey = (a: string, b: string) =>
  createPublicKey(a)
    .export({ type: 'spki', format: 'der' })
    .equals(createPublicKey(b).export({ type: 'spki', format: 'der' }));

for (const dialect of dialects()) {
  describeWithMender(`mender daemon (${dialect})`, () => {
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

    it('authorize-on-request: a pending daemon is admitted once its auth set is accepted', async () => {
      // No key on disk: the client generates its own RSA-3072 key, as on a fresh device.
      const device = await SimDevice.create({ serverUrl: server.url });
      const { pending, deviceId, answeredBeforeAccept } = await admitOnRequest(server, device);

      // What the admin saw before accepting: one pending device with the client's identity and key.
      expect(pending.status).toBe('pending');
      expect(pending.identity_data).toEqual({ mac: device.mac });
      expect(pending.auth_sets.map((a) => a.status)).toEqual(['pending']);
      expect(sameKey(pending.auth_sets[0]?.pubkey ?? '', await device.publicPem())).toBe(true);

      // Until then every auth request was refused and nothing authorized got through.
      const refused = answeredBeforeAccept.filter((r) => r.path === AUTH_PATH && r.authMac === device.mac);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((r) => r.statusCode === 401)).toBe(true);
      expect(answeredBeforeAccept.filter((r) => r.sub === deviceId)).toEqual([]);

      // After: the daemon authenticated and its inventory PUT got 200 ...
      // Any arrival: an auth request that arrived just before the accept was sent may be answered
      // after it committed (200); none was answered 200 before (answeredBeforeAccept, above).
      const admitted = authRequestsOf(server, device).filter((r) => r.statusCode === 200);
      expect(admitted.length).toBeGreaterThan(0);
      // ... and the inventory it reported is stored under the device.
      const attrs = await server.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, deviceId);
      const reported = Object.fromEntries(
        attrs.filter((a) => a.scope === 'inventory').map((a) => [a.name, a.value]),
      );
      expect(reported).toMatchObject({ device_type: 'qemux86-64', artifact_name: 'release-1' });
      expect(reported.mender_client_version).toEqual(expect.stringMatching(/^3\.4\./));

      const after = await server.mgmt.getDevice(deviceId);
      expect(after.body.status).toBe('accepted');
      expect(after.body.auth_sets.map((a) => a.status)).toEqual(['accepted']);

      // The daemon keeps reporting with its token (InventoryPollIntervalSeconds=1).
      const mark = server.mark();
      device.sendInventoryNow();
      await waitForInventoryOk(server, device, deviceId, mark);
    });

    it('key rotation: a new key is a new pending auth set of the same device; accepting it retires the old key', async () => {
      const device = await SimDevice.create({ serverUrl: server.url });
      const { deviceId, authSetId: oldSetId } = await admitOnRequest(server, device);

      // Re-flash: stop the daemon, put a new key in place, start it again.
      await device.stopDaemon();
      const oldKeyPath = join(device.root, 'old-mender-agent.pem');
      await copyFile(device.keyPath, oldKeyPath);
      const newPubkey = await device.writeKey('ec-p256');
      const restartMark = server.mark();
      device.startDaemon();

      const rotated = await waitFor(
        'a second, pending auth set on the same device',
        async () => {
          const d = (await server.mgmt.getDevice(deviceId)).body;
          return d.auth_sets.some((a) => a.status === 'pending') ? d : undefined;
        },
        { diagnostics: diagnosticsFor(server, device) },
      );
      expect(await server.mgmt.devicesWithMac(device.mac)).toHaveLength(1);
      expect(rotated.status).toBe('accepted');
      expect(rotated.auth_sets).toHaveLength(2);
      const newSet = rotated.auth_sets.find((a) => a.status === 'pending');
      expect(sameKey(newSet?.pubkey ?? '', newPubkey)).toBe(true);
      expect(rotated.auth_sets.find((a) => a.id === oldSetId)?.status).toBe('accepted');
      // The daemon, now signing with the new key, is refused until the admin decides.
      const newKeyAttempts = authRequestsOf(server, device, restartMark);
      expect(newKeyAttempts.length).toBeGreaterThan(0);
      expect(newKeyAttempts.every((r) => r.statusCode === 401)).toBe(true);

      // Control: the old key (the client's own PKCS#1 RSA key) still works while its set is accepted.
      const oldKeys = await loadDeviceKeys(oldKeyPath);
      const identity = { mac: device.mac }; // exactly what the identity script gives the client
      const beforeAccept = await postSignedAuthRequest(server.url, oldKeys, identity);
      expect(beforeAccept.status).toBe(200);
      const oldToken = beforeAccept.body;

      const acceptMark = server.mark();
      expect(await server.mgmt.setAuthSetStatus(deviceId, newSet?.id ?? '', 'accepted')).toBe(204);
      await waitForInventoryOk(server, device, deviceId, acceptMark);

      const after = (await server.mgmt.getDevice(deviceId)).body;
      expect(after.status).toBe('accepted');
      expect(Object.fromEntries(after.auth_sets.map((a) => [a.id, a.status]))).toEqual({
        [oldSetId]: 'rejected',
        [newSet?.id ?? '']: 'accepted',
      });

      // The old key is refused now, and the token it had obtained is dead.
      const afterAccept = await postSignedAuthRequest(server.url, oldKeys, identity);
      expect(afterAccept.status).toBe(401);
      const inventoryWithOldToken = await fetch(`${server.url}${INVENTORY_PATH}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${oldToken}`, 'content-type': 'application/json' },
        body: '[]',
      });
      expect(inventoryWithOldToken.status).toBe(401);
    });
  });
}

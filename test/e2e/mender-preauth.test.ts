import { createPublicKey, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { describeWithMender } from './helpers/host.js';
import type { OpensslKeyKind } from './helpers/keys.js';
import { disposeAllDevices, SimDevice } from './helpers/mender-device.js';
import { AUTH_PATH, type RecordedServer, startRecordedServer } from './helpers/recorded-server.js';

/**
 * Preauthorization as in the Mender tutorial, with the real one-shot `mender bootstrap`: the
 * admin uploads identity + public key, and the device is admitted on its very first auth request.
 * docs/compat/mender-clients.md#device-key and #one-shot-commands;
 * docs/compat/mender-device-auth.md#auth-request and #device-status (preauth match);
 * docs/compat/mender-management.md#devauth-devices.
 */

const sameKey = (a: string, b: string) =>
  createPublicKey(a)
    .export({ type: 'spki', format: 'der' })
    .equals(createPublicKey(b).export({ type: 'spki', format: 'der' }));

const serial = () => `SN-${randomBytes(4).toString('hex')}`;

for (const dialect of dialects()) {
  describeWithMender(`mender bootstrap with a preauthorized device (${dialect})`, () => {
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

    /** Runs `mender bootstrap` and returns its exit code and the auth requests it made. */
    const bootstrap = async (device: SimDevice) => {
      const mark = server.mark();
      const code = await device.bootstrap();
      const authRequests = server.requests.filter(
        (r) => r.seq > mark && r.path === AUTH_PATH && r.authMac === device.mac,
      );
      return { code, authRequests };
    };

    const keyCases: { kind: OpensslKeyKind; keyType: string }[] = [
      { kind: 'rsa3072', keyType: 'RSA-3072' },
      { kind: 'ec-p256', keyType: 'EC P-256' },
      { kind: 'ed25519', keyType: 'Ed25519' },
    ];

    for (const { kind, keyType } of keyCases) {
      it(`admits a device preauthorized with an ${keyType} key on its first request`, async () => {
        const device = await SimDevice.create({ serverUrl: server.url, serial: serial() });
        const pubkey = await device.writeKey(kind);
        const deviceId = await server.mgmt.preauthorize(
          { mac: device.mac, serialnumber: device.serial },
          pubkey,
        );

        const before = await server.mgmt.getDevice(deviceId);
        expect(before.body.status).toBe('preauthorized');

        const { code, authRequests } = await bootstrap(device);
        expect(code, device.logTail()).toBe(0);
        // Exactly one auth request (bootstrap makes one), answered 200: no pending round trip.
        expect(authRequests.map((r) => r.statusCode)).toEqual([200]);
        expect(sameKey(authRequests[0]?.authPubkey ?? '', pubkey)).toBe(true);

        const after = await server.mgmt.getDevice(deviceId);
        expect(after.status).toBe(200);
        expect(after.body.status).toBe('accepted');
        expect(after.body.identity_data).toEqual({ mac: device.mac, serialnumber: device.serial });
        expect(after.body.auth_sets).toHaveLength(1);
        expect(after.body.auth_sets[0]?.status).toBe('accepted');
        expect(sameKey(after.body.auth_sets[0]?.pubkey ?? '', pubkey)).toBe(true);
        // The device the client authenticated as is the preauthorized one, not a new one.
        expect(await server.mgmt.devicesWithMac(device.mac)).toHaveLength(1);
      });
    }

    it('matches a preauthorization whose identity_data lists the keys in another order', async () => {
      const device = await SimDevice.create({ serverUrl: server.url, serial: serial() });
      const pubkey = await device.writeKey('ed25519');
      // The client sends {"mac":..,"serialnumber":..} (sorted keys); the admin wrote them reversed.
      const identityData = { serialnumber: device.serial, mac: device.mac };
      expect(Object.keys(identityData)).toEqual(['serialnumber', 'mac']);
      const deviceId = await server.mgmt.preauthorize(identityData, pubkey);

      const { code, authRequests } = await bootstrap(device);
      expect(code, device.logTail()).toBe(0);
      expect(authRequests.map((r) => r.statusCode)).toEqual([200]);

      const after = await server.mgmt.getDevice(deviceId);
      expect(after.body.status).toBe('accepted');
      expect(after.body.auth_sets.map((a) => a.status)).toEqual(['accepted']);
      expect(await server.mgmt.devicesWithMac(device.mac)).toHaveLength(1);
    });

    it('does not admit the preauthorized identity with a different key (control)', async () => {
      const device = await SimDevice.create({ serverUrl: server.url, serial: serial() });
      const preauthorizedKey = await device.writeKey('ed25519');
      const deviceId = await server.mgmt.preauthorize(
        { mac: device.mac, serialnumber: device.serial },
        preauthorizedKey,
      );
      const actualKey = await device.writeKey('ed25519');

      const { code, authRequests } = await bootstrap(device);
      expect(code).toBe(1);
      expect(authRequests.map((r) => r.statusCode)).toEqual([401]);

      // The request is recorded as a pending auth set of the same device, which stays preauthorized.
      const after = await server.mgmt.getDevice(deviceId);
      expect(after.body.status).toBe('preauthorized');
      const byStatus = Object.fromEntries(after.body.auth_sets.map((a) => [a.status, a.pubkey]));
      expect(Object.keys(byStatus).sort()).toEqual(['pending', 'preauthorized']);
      expect(sameKey(byStatus.pending ?? '', actualKey)).toBe(true);
      expect(sameKey(byStatus.preauthorized ?? '', preauthorizedKey)).toBe(true);
    });
  });
}

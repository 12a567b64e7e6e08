import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyFileName } from '../../src/factory/keygen-names.js';
import { dialects } from '../helpers/databases.js';
import { describeWithMender } from './helpers/host.js';
import { assertBuiltCli, keygen, type ManifestEntry, readJsonlManifest } from './helpers/keygen.js';
import { disposeAllDevices, randomMac, SimDevice } from './helpers/mender-device.js';
import { AUTH_PATH, type RecordedServer, startRecordedServer } from './helpers/recorded-server.js';

/**
 * Keys from `gatehouse keygen` in the real Debian mender-client 3.4, as a factory would flash
 * them: the private key file is the client's static `Security.AuthPrivateKey`, the device is
 * preauthorized with the identity and public key of its manifest line (one device at a time
 * through the management API, as the Mender tutorial does), and the client is accepted on its
 * first auth request (`mender bootstrap`: exactly one auth request).
 */

const sameKey = (a: string, b: string) =>
  createPublicKey(a)
    .export({ type: 'spki', format: 'der' })
    .equals(createPublicKey(b).export({ type: 'spki', format: 'der' }));

const keyTypes = [
  { type: 'rsa', label: 'RSA-3072 (the default)', pem: 'RSA PRIVATE KEY' },
  { type: 'ec', label: 'EC P-256', pem: 'EC PRIVATE KEY' },
  { type: 'ed25519', label: 'Ed25519', pem: 'PRIVATE KEY' },
] as const;

describeWithMender(
  'keygen keys in the real Mender client',
  () => {
    const dialectList = dialects();
    const root = mkdtempSync(join(tmpdir(), 'gh-keygen-e2e-'));
    /** Per key type: the keygen output dir and its manifest, one device per dialect. */
    const made = new Map<string, { out: string; entries: ManifestEntry[] }>();

    beforeAll(async () => {
      assertBuiltCli();
      for (const { type } of keyTypes) {
        const out = join(root, type);
        // Random MAC range and serials: concurrent test files never share an identity.
        const run = await keygen([
          '--out',
          out,
          '--count',
          String(dialectList.length),
          '--type',
          type,
          '--identity',
          'mac={mac}',
          '--mac-start',
          randomMac(),
          '--identity',
          `serialnumber=SN-${randomBytes(4).toString('hex')}-{seq:02}`,
        ]);
        if (run.code !== 0) throw new Error(`keygen --type ${type} failed: ${run.stderr}`);
        made.set(type, { out, entries: readJsonlManifest(join(out, 'manifest.jsonl')) });
      }
    }, 180_000);

    afterAll(() => rmSync(root, { recursive: true, force: true }));

    dialectList.forEach((dialect, index) => {
      describe(dialect, () => {
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

        for (const { type, label, pem } of keyTypes) {
          it(`admits a device with a keygen ${label} key on its first request (${dialect})`, async () => {
            const { out, entries } = made.get(type) ?? { out: '', entries: [] };
            const entry = entries[index];
            if (!entry) throw new Error(`keygen made no device ${index + 1} for ${type}`);
            const keyPath = join(out, 'keys', keyFileName(Object.entries(entry.identity)));
            const keyBefore = readFileSync(keyPath, 'utf8');
            expect(keyBefore).toMatch(new RegExp(`^-----BEGIN ${pem}-----\n`));

            const deviceId = await server.mgmt.preauthorize(entry.identity, entry.pubkey);
            const device = await SimDevice.create({
              serverUrl: server.url,
              mac: entry.identity.mac,
              serial: entry.identity.serialnumber,
              authPrivateKey: keyPath,
            });
            expect(device.identity).toEqual(entry.identity);

            const mark = server.mark();
            const code = await device.bootstrap();
            expect(code, device.logTail()).toBe(0);
            const authRequests = server.requests.filter(
              (r) => r.seq > mark && r.path === AUTH_PATH && r.authMac === device.mac,
            );
            // One auth request, answered 200: the preauthorization matched, no pending round trip.
            expect(authRequests.map((r) => r.statusCode)).toEqual([200]);
            expect(sameKey(authRequests[0]?.authPubkey ?? '', entry.pubkey)).toBe(true);

            const after = await server.mgmt.getDevice(deviceId);
            expect(after.body.status).toBe('accepted');
            expect(after.body.auth_sets.map((a) => a.status)).toEqual(['accepted']);
            expect(await server.mgmt.devicesWithMac(device.mac)).toHaveLength(1);
            // A static key is used as it is: not rewritten, and no key of the client's own made.
            expect(readFileSync(keyPath, 'utf8')).toBe(keyBefore);
            expect(existsSync(device.keyPath)).toBe(false);
          });
        }
      });
    });
  },
  { timeoutMs: 120_000 },
);

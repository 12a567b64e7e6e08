import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyFileName } from '../../src/factory/keygen-names.js';
import { dialects } from '../helpers/databases.js';
import { runGatehouseCli } from './helpers/gatehouse-process.js';
import { describeWithMender } from './helpers/host.js';
import { assertBuiltCli, BIN, keygen, type ManifestEntry, readJsonlManifest } from './helpers/keygen.js';
import { disposeAllDevices, randomMac, SimDevice } from './helpers/mender-device.js';
import { AUTH_PATH, type RecordedServer, startRecordedServer } from './helpers/recorded-server.js';

/**
 * The factory path end to end, with the real tools: `gatehouse keygen --count 100` signs its
 * manifest with a factory key, the key is registered, `gatehouse devices import` preauthorizes the
 * hundred devices, and the real Debian mender-client flashed with one of those keys is accepted on
 * its first auth request. The device records the factory and the import (manifest line) it came from.
 */
const COUNT = 100;

describeWithMender(
  'factory provisioning with the real Mender client',
  () => {
    const root = mkdtempSync(join(tmpdir(), 'gh-factory-e2e-'));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    for (const dialect of dialects()) {
      describe(dialect, () => {
        let server: RecordedServer;
        let out: string;
        let entries: ManifestEntry[];
        let factoryId: string;
        let importId: string;

        beforeAll(async () => {
          assertBuiltCli();
          server = await startRecordedServer(dialect);
          const factoryKey = join(root, `${dialect}-factory.pem`);
          // Offline, on the factory station: no database.
          execFileSync(process.execPath, [BIN, 'factories', 'new-key', '--out', factoryKey]);
          factoryId = JSON.parse(
            await runGatehouseCli(server.db, [
              'factories',
              'register',
              '--name',
              `line-${dialect}`,
              '--public-key',
              `${factoryKey}.pub`,
              '--json',
            ]),
          ).id;
          out = join(root, dialect);
          const run = await keygen([
            '--out',
            out,
            '--count',
            String(COUNT),
            '--type',
            'ec',
            '--identity',
            'mac={mac}',
            '--mac-start',
            randomMac(),
            '--identity',
            `serialnumber=SN-${randomBytes(4).toString('hex')}-{seq:03}`,
            '--group',
            'factory-a',
            '--sign-with',
            factoryKey,
          ]);
          if (run.code !== 0) throw new Error(`keygen failed: ${run.stderr}`);
          entries = readJsonlManifest(join(out, 'manifest.jsonl'));
          const report = JSON.parse(
            await runGatehouseCli(server.db, ['devices', 'import', join(out, 'manifest.jsonl'), '--json']),
          );
          expect(report).toMatchObject({
            status: 'succeeded',
            factory_id: factoryId,
            counts: { rows: COUNT, created: COUNT, unchanged: 0, conflicts: 0, invalid: 0 },
          });
          importId = report.import_id;
        }, 180_000);
        afterEach(async (ctx) => {
          await disposeAllDevices({ printLogs: ctx.task.result?.state === 'fail' });
        });
        afterAll(async () => {
          await server?.close();
        });

        it('admits a device flashed with one of the imported keys on its first request', async () => {
          const index = 36;
          const entry = entries[index] as ManifestEntry;
          const device = await SimDevice.create({
            serverUrl: server.url,
            mac: entry.identity.mac as string,
            serial: entry.identity.serialnumber as string,
            authPrivateKey: join(out, 'keys', keyFileName(Object.entries(entry.identity))),
          });
          const mark = server.mark();
          expect(await device.bootstrap(), device.logTail()).toBe(0);
          const auth = server.requests.filter(
            (r) => r.seq > mark && r.path === AUTH_PATH && r.authMac === device.mac,
          );
          // One auth request, answered 200: the imported preauthorization matched.
          expect(auth.map((r) => r.statusCode)).toEqual([200]);

          const row = await server.gh.store.db
            .selectFrom('devices')
            .select(['id', 'status', 'import_id', 'import_line', 'factory_id'])
            .where(
              'id_data_sha256',
              '=',
              (await import('../../src/devauth/index.js')).canonicalIdentity(entry.identity).sha256,
            )
            .executeTakeFirstOrThrow();
          expect(row.status).toBe('accepted');
          expect([row.import_id, Number(row.import_line), row.factory_id]).toEqual([
            importId,
            index + 1,
            factoryId,
          ]);
          const after = await server.mgmt.getDevice(row.id);
          expect(after.body.auth_sets.map((a) => a.status)).toEqual(['accepted']);
          // The management API shows where it came from.
          expect((after.body as unknown as { import: unknown }).import).toEqual({
            id: importId,
            line: index + 1,
            factory_id: factoryId,
          });
          expect(await server.mgmt.devicesWithMac(device.mac)).toHaveLength(1);
        });
      });
    }
  },
  { timeoutMs: 180_000 },
);

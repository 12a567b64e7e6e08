import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DOWNLOAD_PATH_PREFIX } from '../../src/deployments/download-links.js';
import { admitOnRequest } from './helpers/device-flows.js';
import { describeWithMender } from './helpers/host.js';
import { disposeAllDevices, SimDevice } from './helpers/mender-device.js';
import {
  ArtifactBuilder,
  createCliUser,
  MenderCli,
  OTA_TOOLS,
  type OtaApi,
  otaApi,
  reportedSequence,
  waitForDeviceOutcome,
} from './helpers/ota.js';
import { type RecordedServer, startRecordedServer } from './helpers/recorded-server.js';

/**
 * A broken artifact download resumed by the real `mender` 3.4 daemon with `Range`
 * (docs/compat/mender-management.md#artifact-download): Gatehouse answers 206 with Content-Range
 * and the update completes with the exact payload. The client waits at least one minute before
 * resuming (its back-off has a one-minute floor, docs/compat/mender-clients.md#download), so this
 * runs on SQLite only: the database plays no part in serving the bytes.
 */

const PAYLOAD_BYTES = 4 * 1024 * 1024;
/** The first response is cut once this much has been handed to the socket. */
const BREAK_AFTER_BYTES = 1024 * 1024;
const RESUME_TIMEOUT_MS = 150_000;

describeWithMender(
  'OTA download resumed with Range by the real mender client (sqlite)',
  () => {
    let server: RecordedServer;
    let api: OtaApi;
    let cli: MenderCli;
    const artifacts = new ArtifactBuilder();

    beforeAll(async () => {
      server = await startRecordedServer('sqlite');
      api = otaApi(server);
      cli = new MenderCli(server.url);
      const user = await createCliUser(server);
      await cli.login(user.email, user.password);
    });
    afterEach(async (ctx) => {
      await disposeAllDevices({ printLogs: ctx.task.result?.state === 'fail' });
    });
    afterAll(async () => {
      cli?.dispose();
      artifacts.dispose();
      await server?.close();
    });

    it('a download cut mid-way is resumed from where it broke and the update succeeds', async () => {
      const device = await SimDevice.create({ serverUrl: server.url });
      const { deviceId } = await admitOnRequest(server, device);
      const target = join(device.root, 'target');
      const name = `ota-resume-${randomBytes(4).toString('hex')}`;
      const payload = randomBytes(PAYLOAD_BYTES);
      const file = artifacts.singleFile({
        name,
        deviceTypes: ['qemux86-64'],
        destDir: target,
        fileName: 'resumed.bin',
        content: payload,
        compression: 'none',
      });
      const up = await cli.upload(file);
      expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
      const artifact = (await api.listArtifacts()).find((a) => a.name === name);
      const size = statSync(file).size;
      expect(artifact?.size).toBe(size);
      const downloadPath = `${DOWNLOAD_PATH_PREFIX}${artifact?.id}`;

      // Network fault: the first (whole-artifact) response loses its connection part-way. A cut
      // response never completes, so the recorder does not list it: note every attempt here.
      const attempts: { range: string | undefined; cut: boolean }[] = [];
      const stopIntercepting = server.intercept((req, reply) => {
        if (req.method !== 'GET' || !req.url.startsWith(`${downloadPath}?`)) return;
        const cut = attempts.length === 0 && req.headers.range === undefined;
        attempts.push({ range: req.headers.range, cut });
        if (!cut) return;
        const raw = reply.raw;
        const write = raw.write.bind(raw) as (...args: unknown[]) => boolean;
        let handed = 0;
        raw.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
          if (handed >= BREAK_AFTER_BYTES) {
            raw.socket?.destroy();
            return false;
          }
          handed += Buffer.byteLength(chunk);
          return write(chunk, ...rest);
        }) as typeof raw.write;
      });
      try {
        const deploymentId = await api.createDeployment(`resume-${name}`, name, [deviceId]);
        const outcome = await waitForDeviceOutcome(api, server, device, deploymentId, deviceId, {
          timeoutMs: RESUME_TIMEOUT_MS - 20_000,
        });
        expect(outcome.status).toBe('success');

        // Two requests for the artifact: the cut one, then a resume from the offset the client had.
        expect(attempts.map((a) => a.cut)).toEqual([true, false]);
        expect(attempts[0]?.range).toBeUndefined();
        const offset = Number(/^bytes=(\d+)-$/.exec(attempts[1]?.range ?? '')?.[1]);
        expect(offset).toBeGreaterThan(0);
        expect(offset).toBeLessThan(size);
        const completed = server.requests.filter((r) => r.method === 'GET' && r.path === downloadPath);
        expect(completed).toHaveLength(1);
        expect(completed[0]).toMatchObject({
          range: `bytes=${offset}-`,
          statusCode: 206,
          contentLength: String(size - offset),
        });
        expect(device.logTail(400)).toContain(`Attempting to resume artifact download from offset ${offset}`);

        // The installed file is the payload, byte for byte: the two parts joined correctly.
        expect(readFileSync(join(target, 'resumed.bin')).equals(payload)).toBe(true);
        expect(reportedSequence(server, deploymentId)).toEqual(['downloading', 'installing', 'success']);
        expect((await api.getDeployment(deploymentId)).status).toBe('finished');
      } finally {
        stopIntercepting();
      }
    });
  },
  { tools: OTA_TOOLS, timeoutMs: RESUME_TIMEOUT_MS },
);

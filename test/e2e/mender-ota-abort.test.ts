import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { DOWNLOAD_PATH_PREFIX } from '../../src/deployments/download-links.js';
import { dialects } from '../helpers/databases.js';
import { admitOnRequest, diagnosticsFor } from './helpers/device-flows.js';
import { describeWithMender } from './helpers/host.js';
import { disposeAllDevices, SimDevice } from './helpers/mender-device.js';
import {
  ArtifactBuilder,
  createCliUser,
  MenderCli,
  OTA_TOOLS,
  type OtaApi,
  otaApi,
  statusReports,
  waitForDeviceOutcome,
} from './helpers/ota.js';
import { type RecordedServer, startRecordedServer } from './helpers/recorded-server.js';
import { waitFor } from './helpers/wait.js';

/**
 * Aborting a deployment while the real `mender` 3.4 daemon downloads it: the client gets 409 on
 * its next status report, abandons the update and installs nothing; the device counts as aborted,
 * not success (docs/compat/mender-management.md#deployments and #device-deployment-statuses,
 * docs/compat/mender-clients.md#status-reports).
 */

/** Big enough that the download cannot finish inside socket buffers while the client is not reading. */
const PAYLOAD_BYTES = 24 * 1024 * 1024;
const NEXT_PATH = /^\/api\/devices\/v[12]\/deployments\/device\/deployments\/next$/;

const builder = new ArtifactBuilder();
let bigArtifactFor: (destDir: string, name: string) => string;

beforeAll(() => {
  // One random payload for every dialect; each build points dest_dir at its device's temp dir.
  const payload = randomBytes(PAYLOAD_BYTES);
  bigArtifactFor = (destDir, name) =>
    builder.singleFile({
      name,
      deviceTypes: ['qemux86-64'],
      destDir,
      fileName: 'big.bin',
      content: payload,
      compression: 'none',
    });
});
afterAll(() => builder.dispose());

for (const dialect of dialects()) {
  describeWithMender(
    `OTA abort while the real mender client downloads (${dialect})`,
    () => {
      let server: RecordedServer;
      let api: OtaApi;
      let cli: MenderCli;

      beforeAll(async () => {
        server = await startRecordedServer(dialect);
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
        await server?.close();
      });

      it('aborting during the download makes the client stop: 409 on its next report, nothing installed, counted as aborted', async () => {
        const device = await SimDevice.create({ serverUrl: server.url });
        const { deviceId } = await admitOnRequest(server, device);
        const target = join(device.root, 'target');
        const name = `ota-big-${randomBytes(4).toString('hex')}`;
        const file = bigArtifactFor(target, name);
        const up = await cli.upload(file);
        expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
        const artifact = (await api.listArtifacts()).find((a) => a.name === name);
        expect(artifact?.size).toBe(statSync(file).size);

        const deploymentId = await api.createDeployment(`abort-${name}`, name, [deviceId]);

        // The moment: the client has reported `downloading` and asks for the artifact. The abort
        // is committed before the first byte of the download is sent.
        let abortAnswer: number | undefined;
        let downloadCompleted: boolean | undefined;
        const stopIntercepting = server.intercept(async (req, reply) => {
          const url = new URL(req.url, 'http://x');
          if (
            abortAnswer !== undefined ||
            req.method !== 'GET' ||
            url.pathname !== `${DOWNLOAD_PATH_PREFIX}${artifact?.id}` ||
            url.searchParams.get('deployment') !== deploymentId
          )
            return;
          abortAnswer = await api.abort(deploymentId);
          reply.raw.once('close', () => {
            downloadCompleted = reply.raw.writableFinished;
          });
        });
        try {
          const outcome = await waitForDeviceOutcome(api, server, device, deploymentId, deviceId);
          expect(outcome.status).toBe('aborted');
          expect(abortAnswer).toBe(204);

          // The client's next status report after the abort is refused with 409 ...
          const refused = await waitFor(
            'a status report answered 409 after the abort',
            () => statusReports(server, deploymentId).find((r) => r.statusCode === 409),
            { diagnostics: diagnosticsFor(server, device) },
          );
          // ... and it stops: the download is dropped unfinished and nothing is installed.
          await waitFor('the download connection to close', () => downloadCompleted !== undefined, {
            diagnostics: diagnosticsFor(server, device),
          });
          expect(downloadCompleted).toBe(false);
          const reports = statusReports(server, deploymentId);
          const accepted = reports.filter((r) => r.statusCode === 204).map((r) => r.reportedStatus);
          // Only the report made before the abort was accepted (had it come later, it would have
          // been refused too).
          expect(accepted).toEqual(['downloading']);
          // The refused one is the very next report after the abort (3.4 then also reports
          // failure, which gets 409 as well, and uploads no log).
          expect(reports.indexOf(refused)).toBe(1);
          expect(reports.filter((r) => r.seq >= refused.seq).every((r) => r.statusCode === 409)).toBe(true);
          expect(reports.map((r) => r.reportedStatus)).not.toContain('success');

          // Back to idle: the daemon polls again and is told there is nothing to do.
          const mark = server.mark();
          await waitFor(
            'the daemon to poll /next again and get 204',
            () =>
              server.requests.find(
                (r) => r.seq > mark && NEXT_PATH.test(r.path) && r.sub === deviceId && r.statusCode === 204,
              ),
            { diagnostics: diagnosticsFor(server, device) },
          );
          expect(existsSync(join(target, 'big.bin'))).toBe(false);
          expect(server.requests.filter((r) => r.path.endsWith(`/${deploymentId}/log`))).toEqual([]);

          const stats = await api.statistics(deploymentId);
          expect(stats).toMatchObject({ aborted: 1, success: 0, failure: 0, downloading: 0, pending: 0 });
          expect((await api.getDeployment(deploymentId)).status).toBe('finished');
          expect((await api.inventoryOf(deviceId)).artifact_name).toBe('release-1');
        } finally {
          stopIntercepting();
        }
      });
    },
    { tools: OTA_TOOLS },
  );
}

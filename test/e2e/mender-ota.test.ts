import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
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
  reportedSequence,
  statusReports,
  waitForDeviceOutcome,
} from './helpers/ota.js';
import { type RecordedServer, startRecordedServer } from './helpers/recorded-server.js';
import { waitFor } from './helpers/wait.js';

/**
 * OTA updates end to end with the real Debian tools: mender-artifact builds, mender-cli uploads,
 * the management API deploys, and the real `mender` 3.4 daemon downloads, installs and reports.
 * docs/compat/mender-clients.md (#update-check to #download, #mender-artifact, #mender-cli) and
 * docs/compat/mender-management.md#deployments.
 */

/** POST v2 (which the 3.4 client tries first), POST v1 or GET v1. */
const NEXT_PATH = /^\/api\/devices\/v[12]\/deployments\/device\/deployments\/next$/;
const tag = () => randomBytes(4).toString('hex');

for (const dialect of dialects()) {
  describeWithMender(
    `OTA deployments with the real mender client (${dialect})`,
    () => {
      let server: RecordedServer;
      let api: OtaApi;
      let cli: MenderCli;
      const artifacts = new ArtifactBuilder();

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
        artifacts.dispose();
        await server?.close();
      });

      /** Uploads with `mender-cli artifacts upload` and returns the stored artifact. */
      const uploadWithCli = async (file: string, name: string) => {
        const up = await cli.upload(file);
        expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
        const stored = (await api.listArtifacts()).filter((a) => a.name === name);
        expect(stored).toHaveLength(1);
        return stored[0] as NonNullable<(typeof stored)[0]>;
      };

      it('a single-file artifact uploaded with mender-cli is deployed, installed and reported by the daemon', async () => {
        // ServerURL with "localhost": the download link must follow the Host the device used, since
        // no public URL is configured (the derived one, http://127.0.0.1:0, would not even work).
        const port = new URL(server.url).port;
        const device = await SimDevice.create({ serverUrl: `http://localhost:${port}` });
        const { deviceId } = await admitOnRequest(server, device);

        const name = `ota-release-${tag()}`;
        const target = join(device.root, 'target');
        const content = `installed by ${name}\n`;
        const file = artifacts.singleFile({
          name,
          deviceTypes: ['qemux86-64'],
          destDir: target,
          fileName: 'app.conf',
          content,
        });
        const artifact = await uploadWithCli(file, name);
        expect(artifact).toMatchObject({ signed: false, size: statSync(file).size });

        // Observe (only) the headers of the artifact download.
        const downloadHeaders: Record<string, string | string[] | undefined>[] = [];
        const stopObserving = server.intercept((req) => {
          if (req.method === 'GET' && req.url.startsWith(`${DOWNLOAD_PATH_PREFIX}${artifact.id}?`))
            downloadHeaders.push({ ...req.headers });
        });
        const mark = server.mark();
        const deploymentId = await api.createDeployment(`rollout-${name}`, name, [deviceId]);
        const outcome = await waitForDeviceOutcome(api, server, device, deploymentId, deviceId).finally(
          stopObserving,
        );
        expect(outcome.status).toBe('success');

        // The update module put the file where the artifact said, with its content.
        expect(readFileSync(join(target, 'app.conf'), 'utf8')).toBe(content);

        const deployment = await api.getDeployment(deploymentId);
        expect(deployment).toMatchObject({
          status: 'finished',
          artifact_name: name,
          max_devices: 1,
          device_count: 1,
          artifacts: [artifact.id],
        });
        expect(deployment.finished).toEqual(expect.any(String));
        expect(await api.statistics(deploymentId)).toMatchObject({
          success: 1,
          failure: 0,
          pending: 0,
          downloading: 0,
          installing: 0,
        });

        // What the client sent: /next and the download both carry the Host it was configured with,
        // and the download was the whole artifact in one plain 200 (no Authorization needed).
        const nextOk = server.requests.find(
          (r) => r.seq > mark && NEXT_PATH.test(r.path) && r.sub === deviceId && r.statusCode === 200,
        );
        expect(nextOk?.host, server.describeRequests(60)).toBe(`localhost:${port}`);
        const downloads = server.requests.filter(
          (r) => r.seq > mark && r.method === 'GET' && r.path === `${DOWNLOAD_PATH_PREFIX}${artifact.id}`,
        );
        expect(downloads).toHaveLength(1);
        expect(downloads[0]).toMatchObject({
          host: `localhost:${port}`,
          statusCode: 200,
          contentLength: String(artifact.size),
        });
        expect(downloads[0]?.range).toBeUndefined();
        // A separate plain client: no Authorization header (the link authenticates itself).
        expect(downloadHeaders).toHaveLength(1);
        expect(downloadHeaders[0]).not.toHaveProperty('authorization');
        expect(downloadHeaders[0]?.host).toBe(`localhost:${port}`);

        // The status reports (3.4 sends downloading x3, installing x2 around a forced re-auth,
        // success): every one accepted with 204.
        expect(reportedSequence(server, deploymentId)).toEqual(['downloading', 'installing', 'success']);
        expect(statusReports(server, deploymentId).every((r) => r.statusCode === 204)).toBe(true);

        // The inventory (inventory scope) now reports the new artifact name.
        await waitFor(
          `inventory of ${deviceId} to report artifact_name ${name}`,
          async () => (await api.inventoryOf(deviceId)).artifact_name === name,
          { diagnostics: diagnosticsFor(server, device) },
        );
      });

      it('a rootfs-image deployment fails in this container and its log is readable', async () => {
        const device = await SimDevice.create({ serverUrl: server.url });
        const { deviceId } = await admitOnRequest(server, device);
        const name = `ota-rootfs-${tag()}`;
        await uploadWithCli(artifacts.rootfs({ name, deviceTypes: ['qemux86-64'] }), name);

        const deploymentId = await api.createDeployment(`rootfs-${name}`, name, [deviceId]);
        const outcome = await waitForDeviceOutcome(api, server, device, deploymentId, deviceId);
        expect(outcome.status).toBe('failure');

        const deployment = await api.getDeployment(deploymentId);
        expect(deployment.status).toBe('finished');
        expect(await api.statistics(deploymentId)).toMatchObject({ failure: 1, success: 0 });
        // The client fails while reading the artifact header, before installing anything.
        expect(reportedSequence(server, deploymentId)).toEqual(['downloading', 'failure']);

        // The client uploads its log right after reporting failure.
        const log = await waitFor(
          'the deployment log of the failed device',
          async () => {
            const r = await api.deviceLog(deploymentId, deviceId);
            return r.status === 200 ? r : undefined;
          },
          { diagnostics: diagnosticsFor(server, device) },
        );
        expect(log.headers.get('content-type')).toMatch(/^text\/plain/);
        const text = String(log.body);
        expect(text.trim().length).toBeGreaterThan(0);
        expect(text).toMatch(/rootfs-image/);
        expect(text).toMatch(/not supported|fail/i);
        expect((await api.deploymentDevices(deploymentId))[0]).toMatchObject({ id: deviceId, log: true });

        // Still on its old artifact.
        expect((await api.inventoryOf(deviceId)).artifact_name).toBe('release-1');
      });

      it('a client with ArtifactVerifyKey installs a signed artifact and refuses an unsigned one', async () => {
        const key = await artifacts.signingKey();
        const device = await SimDevice.create({
          serverUrl: server.url,
          extraConfig: { ArtifactVerifyKey: key.publicKeyPath },
        });
        const { deviceId } = await admitOnRequest(server, device);
        const target = join(device.root, 'target');

        const signedName = `ota-signed-${tag()}`;
        const signed = await uploadWithCli(
          artifacts.singleFile({
            name: signedName,
            deviceTypes: ['qemux86-64'],
            destDir: target,
            fileName: 'signed.txt',
            content: 'signed payload\n',
            signingKey: key.privateKeyPath,
          }),
          signedName,
        );
        expect(signed.signed).toBe(true);
        const first = await api.createDeployment(`signed-${signedName}`, signedName, [deviceId]);
        expect((await waitForDeviceOutcome(api, server, device, first, deviceId)).status).toBe('success');
        expect(readFileSync(join(target, 'signed.txt'), 'utf8')).toBe('signed payload\n');

        const unsignedName = `ota-unsigned-${tag()}`;
        const unsigned = await uploadWithCli(
          artifacts.singleFile({
            name: unsignedName,
            deviceTypes: ['qemux86-64'],
            destDir: target,
            fileName: 'unsigned.txt',
            content: 'unsigned payload\n',
          }),
          unsignedName,
        );
        expect(unsigned.signed).toBe(false);
        const second = await api.createDeployment(`unsigned-${unsignedName}`, unsignedName, [deviceId]);
        expect((await waitForDeviceOutcome(api, server, device, second, deviceId)).status).toBe('failure');
        expect(existsSync(join(target, 'unsigned.txt'))).toBe(false);
        expect(reportedSequence(server, second)).toEqual(['downloading', 'failure']);
        expect(await api.statistics(second)).toMatchObject({ failure: 1, success: 0 });
        expect((await api.getDeployment(second)).status).toBe('finished');

        const log = await waitFor(
          'the deployment log of the refused unsigned artifact',
          async () => {
            const r = await api.deviceLog(second, deviceId);
            return r.status === 200 ? String(r.body) : undefined;
          },
          { diagnostics: diagnosticsFor(server, device) },
        );
        expect(log).toMatch(/expecting signed artifact/);

        // The device stays on the signed release.
        await waitFor(
          `inventory of ${deviceId} to report ${signedName}`,
          async () => (await api.inventoryOf(deviceId)).artifact_name === signedName,
          { diagnostics: diagnosticsFor(server, device) },
        );
      });
    },
    { tools: OTA_TOOLS },
  );
}

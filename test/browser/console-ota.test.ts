import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { SimDevice } from '../e2e/helpers/mender-device.js';
import { waitFor } from '../e2e/helpers/wait.js';
import { MENDER_ARTIFACT, makeSingleFileArtifact } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { describeBrowser } from './helpers/browser.js';
import { DEVAUTH, devicesWithMac, waitForReportedInventory } from './helpers/devices.js';
import { useConsoleFixture } from './helpers/fixture.js';
import { watchRows } from './helpers/row-watch.js';
import { chooseOption, watchForElement } from './helpers/ui.js';

/**
 * An OTA update run from the console (issue 9): an artifact built by the real mender-artifact is
 * uploaded on the releases page, deployed to a real mender 3.4 daemon from the new-deployment
 * form, and the device's `success` shows up on the deployment page by itself.
 */
const D = '/api/management/v1/deployments';

interface ArtifactJson {
  id: string;
  name: string;
  size: number;
}

for (const dialect of dialects()) {
  describeBrowser(
    `console: OTA deployment (${dialect})`,
    () => {
      const fx = useConsoleFixture(dialect);

      it('uploads an artifact, deploys it to a daemon and shows its success live', async () => {
        const { server } = fx;
        // The device, admitted over the API (admission from the console is console-admission's).
        const device = await SimDevice.create({ serverUrl: server.url });
        device.startDaemon();
        const diagnostics = () => `${device.logTail(40)}\n--- server ---\n${server.logTail()}`;
        const pending = await waitFor(
          'the daemon to be pending',
          async () => (await devicesWithMac(server, device.mac, 'pending'))[0],
          { diagnostics },
        );
        await server.apiOk(
          'PUT',
          `${DEVAUTH}/devices/${pending.id}/auth/${pending.auth_sets[0]?.id}/status`,
          204,
          {
            body: { status: 'accepted' },
          },
        );
        await waitForReportedInventory(server, pending.id, diagnostics);
        // Off while the deployment is made, so the page is seen before the device acts on it.
        await device.stopDaemon();

        // A single-file artifact, with a payload big enough for the upload to take a moment.
        const name = `console-release-${randomBytes(3).toString('hex')}`;
        const target = join(device.root, 'target');
        const content = `installed from the console: ${name}\n${randomBytes(384 * 1024).toString('base64')}\n`;
        const file = makeSingleFileArtifact({
          name,
          deviceTypes: ['qemux86-64'],
          destDir: target,
          fileName: 'console.conf',
          content,
        });

        const c = await fx.openLoggedIn();
        await c.goto('/releases');
        await c.heading();
        await c.screenshot('releases-empty');
        // Slow the upload down (about 2 s), so that its progress is on screen for a while.
        const cdp = await c.context.newCDPSession(c.page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: Math.ceil(statSync(file).size / 2),
        });
        const progressShown = await watchForElement(c.page, '[data-testid=upload-progress]');
        await c.page.locator('[data-testid=artifact-file]').setInputFiles(file);
        // Choosing the file fills the form; the upload starts with its button.
        await c.page.locator('[data-testid=artifact-upload]').click();
        const artifact = await waitFor(
          `artifact ${name} to be stored`,
          async () =>
            (await server.apiOk<ArtifactJson[]>('GET', `${D}/artifacts`)).find((a) => a.name === name),
          { timeoutMs: 30_000, intervalMs: 250, diagnostics: () => c.describeProblems() },
        );
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 0,
          downloadThroughput: -1,
          uploadThroughput: -1,
        });
        expect(artifact.size).toBe(statSync(file).size);
        expect(await progressShown(), 'the upload progress was shown').toBe(true);
        await c.page.getByText(name).first().waitFor();
        expect(await c.page.locator('[data-testid=error]').count()).toBe(0);
        await c.screenshot('releases');
        await c.goto(`/releases/artifacts/${artifact.id}`);
        await c.heading();
        await c.screenshot('artifact');

        // The new-deployment form, opened for this device.
        await c.goto(`/deployments/new?devices=${pending.id}`);
        await c.heading();
        await c.page.locator('[data-testid=deployment-name]').fill(`rollout ${name}`);
        await chooseOption(c.page, 'deployment-artifact', name);
        const targets = c.page.locator('[data-testid=deployment-target-devices]');
        await targets.waitFor();
        await c.screenshot('deployment-new');
        await c.page.locator('[data-testid=deployment-submit]').click();
        await c.page.waitForURL(/\/deployments\/(?!new)[^/?#]+$/);
        const deploymentId = new URL(c.page.url()).pathname.split('/').pop() as string;
        const deployment = await server.apiOk<{ name: string; artifact_name: string; max_devices: number }>(
          'GET',
          `${D}/deployments/${deploymentId}`,
        );
        expect(deployment).toMatchObject({ name: `rollout ${name}`, artifact_name: name, max_devices: 1 });

        // The deployment page follows the device by itself to success.
        const watch = await watchRows(c.page);
        const status = c.page.locator(
          `[data-testid=deployment-devices-table] tr[data-row-id="${pending.id}"] [data-testid=device-deployment-status]`,
        );
        await status.waitFor();
        expect(((await status.textContent()) ?? '').trim()).toBe('pending');
        device.startDaemon();
        await expect
          .poll(async () => ((await status.textContent()) ?? '').trim().toLowerCase(), {
            timeout: 60_000,
            interval: 250,
            message: `device status on the deployment page\n${diagnostics()}`,
          })
          .toMatch(/^success\b/);
        expect(await watch.sameDocument(), 'the page must not have been reloaded').toBe(true);
        await c.screenshot('deployment');

        // What the daemon did: the file is installed and the server has the outcome.
        expect(readFileSync(join(target, 'console.conf'), 'utf8')).toBe(content);
        const devices = await server.apiOk<{ id: string; status: string }[]>(
          'GET',
          `${D}/deployments/${deploymentId}/devices/list`,
        );
        expect(devices).toEqual([expect.objectContaining({ id: pending.id, status: 'success' })]);
      });
    },
    { mender: true, tools: [MENDER_ARTIFACT], timeoutMs: 120_000 },
  );
}

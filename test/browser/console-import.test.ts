import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { signManifest } from '../../src/factory/index.js';
import { waitFor } from '../e2e/helpers/wait.js';
import { devicePublicKey, factoryKeyPair, jsonlLine } from '../factory/manifests.js';
import { dialects } from '../helpers/databases.js';
import { describeBrowser, PHONE } from './helpers/browser.js';
import { UI_TIMEOUT_MS } from './helpers/console-page.js';
import { DEVAUTH, type DeviceJson } from './helpers/devices.js';
import { useConsoleFixture } from './helpers/fixture.js';
import { watchForElement } from './helpers/ui.js';

/**
 * Factory manifest import from the console (issue 10): the operator registers the station's
 * factory key, drops a signed manifest with its .sig, sees the dry run's counts and problem rows
 * (nothing changes), imports it, follows the import to the end, finds the devices preauthorized
 * and downloads the error report.
 */
const FACTORIES = `${DEVAUTH}/factories`;
const IMPORTS = `${DEVAUTH}/imports`;

/** How long the server's import worker may take to pick up and finish a six-row manifest. */
const IMPORT_BOUND_MS = 30_000;

interface ImportJson {
  id: string;
  status: string;
  factory_id?: string;
  counts: Record<string, number>;
}

/** Drops files on the element matching `selector`, as a drag from the desktop does. */
const dropFiles = async (page: Page, selector: string, files: { name: string; text: string }[]) => {
  // A string, not a function: the test's transpiler may add helpers the page does not have.
  const dataTransfer = await page.evaluateHandle(`(() => {
    const dt = new DataTransfer();
    for (const f of ${JSON.stringify(files)}) dt.items.add(new File([f.text], f.name, { type: 'application/octet-stream' }));
    return dt;
  })()`);
  await page.locator(selector).dispatchEvent('drop', { dataTransfer });
};

const textOf = async (page: Page, selector: string) =>
  ((await page.locator(selector).first().textContent()) ?? '').trim();

for (const dialect of dialects()) {
  describeBrowser(
    `console: device import (${dialect})`,
    () => {
      const fx = useConsoleFixture(dialect);

      it('registers a factory key, dry-runs a signed manifest with mixed rows (no change), imports it, and downloads the report', async () => {
        const { server } = fx;
        const factory = factoryKeyPair();
        const keys = {
          a: devicePublicKey(),
          b: devicePublicKey('ec'),
          c: devicePublicKey(),
          held: devicePublicKey(),
        };

        // A device preauthorized by hand before the import: line 6 brings its key under another identity.
        const holder = await server.api('POST', `${DEVAUTH}/devices`, {
          body: { identity_data: { sn: 'HOLDER' }, pubkey: keys.held },
        });
        expect(holder.status, JSON.stringify(holder.body)).toBe(201);
        const holderId = /devices\/([^/?#]+)$/.exec(holder.headers.get('location') ?? '')?.[1] as string;
        expect(holderId).toBeTruthy();

        const tag = dialect.slice(0, 2);
        const sn = (s: string) => `${tag}-${s}`;
        const manifest = [
          jsonlLine({ identity: { sn: sn('A') }, pubkey: keys.a }), // 1: new
          jsonlLine({ identity: { sn: sn('B'), mac: '02:00:00:00:00:0b' }, pubkey: keys.b }), // 2: new
          jsonlLine({ identity: { sn: sn('C') }, pubkey: keys.c, group: 'line-1', tags: { batch: 'b7' } }), // 3: new
          jsonlLine({ identity: { sn: sn('A') }, pubkey: keys.a }), // 4: the same device again
          jsonlLine({ identity: { sn: sn('D') }, pubkey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIB' }), // 5: malformed key
          jsonlLine({ identity: { sn: sn('E') }, pubkey: keys.held }), // 6: another device's key
        ].join('');
        const name = `line-1-${dialect}.jsonl`;
        const sha = createHash('sha256').update(manifest).digest('hex');
        const sig = `${signManifest(factory.privateKey, sha)}\n`;
        const expectedCounts = { rows: 6, created: 3, unchanged: 1, conflicts: 1, invalid: 1 };

        const c = await fx.openLoggedIn();
        const { page } = c;

        // From the devices screen to the import screen, and to its factory keys.
        await c.goto('/devices');
        await page.locator('[data-testid=import-open]').click();
        await page.waitForURL((u) => u.pathname === '/devices/import');
        // The screen loads lazily: the devices screen's title stays until it has.
        await expect.poll(() => c.heading(), { timeout: UI_TIMEOUT_MS }).toBe('Import devices');
        await page.locator('[data-testid=tab-factory-keys]').click();
        await page.locator('[data-testid=factories-table]').waitFor();
        await page.locator('[data-testid=factory-name]').fill('Line 1 station');
        await page.locator('[data-testid=factory-public-key]').fill(factory.publicPem);
        await c.screenshot('import-factory-register');
        await page.locator('[data-testid=factory-register]').click();
        const factoryRow = page.locator('[data-testid=factories-table] tr[data-row-id]', {
          hasText: 'Line 1 station',
        });
        await factoryRow.waitFor();
        expect(await factoryRow.locator('[data-testid=factory-status]').textContent()).toBe('enabled');
        const factories = await server.apiOk<{ id: string; name: string; enabled: boolean }[]>(
          'GET',
          FACTORIES,
        );
        expect(factories).toHaveLength(1);
        const factoryId = factories[0]?.id as string;
        expect(factories[0]).toMatchObject({ name: 'Line 1 station', enabled: true });
        expect(await factoryRow.getAttribute('data-row-id')).toBe(factoryId);
        await c.screenshot('import-factory-keys');

        // The manifest alone: an unsigned import must be allowed explicitly first.
        await page.locator('[data-testid=tab-import-new]').click();
        const dropZone = '[data-testid=manifest-drop-zone]';
        await page.locator(dropZone).waitFor();
        await dropFiles(page, dropZone, [{ name, text: manifest }]);
        expect(await textOf(page, '[data-testid=manifest-name]')).toBe(name);
        await page.locator('[data-testid=signature-missing]').waitFor();
        await page.locator('[data-testid=allow-unsigned]').waitFor();
        expect(await page.locator('[data-testid=import-dry-run]').isDisabled()).toBe(true);
        expect(await page.locator('[data-testid=import-commit]').isDisabled()).toBe(true);
        await c.screenshot('import-unsigned');

        // The manifest and its .sig dropped together: paired by name, the checkbox goes away.
        await dropFiles(page, dropZone, [
          { name: `${name}.sig`, text: sig },
          { name, text: manifest },
        ]);
        expect(await textOf(page, '[data-testid=signature-name]')).toContain(`${name}.sig`);
        await page.locator('[data-testid=allow-unsigned]').waitFor({ state: 'detached' });
        expect(await textOf(page, '[data-testid=manifest-format]')).toBe('jsonl');
        // Nothing is imported before a dry run.
        expect(await page.locator('[data-testid=import-commit]').isDisabled()).toBe(true);

        await page.locator('[data-testid=import-dry-run]').click();
        const result = page.locator('[data-testid=dry-run-result]');
        await result.waitFor();
        for (const [k, n] of Object.entries(expectedCounts))
          expect(await result.locator(`[data-testid=import-count-${k}]`).getAttribute('data-count'), k).toBe(
            String(n),
          );
        expect(await textOf(page, '[data-testid=dry-run-factory]')).toBe('Line 1 station');
        const dryRows = result.locator('[data-testid=dry-run-problems] tr[data-row-id]');
        expect(await dryRows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-row-id')))).toEqual([
          '5',
          '6',
        ]);
        const malformed = result.locator('[data-testid=dry-run-problems] tr[data-row-id="5"]');
        expect(await malformed.locator('[data-testid=problem-outcome]').textContent()).toBe('invalid');
        expect(await malformed.locator('[data-testid=problem-reason]').textContent()).toMatch(/pubkey/);
        const taken = result.locator('[data-testid=dry-run-problems] tr[data-row-id="6"]');
        expect(await taken.locator('[data-testid=problem-outcome]').textContent()).toBe('conflict');
        expect(await taken.locator('[data-testid=problem-reason]').textContent()).toMatch(
          /key is used by another device/,
        );
        expect(await taken.locator('[data-testid=problem-device]').getAttribute('href')).toBe(
          `/devices/${holderId}`,
        );
        expect(await page.locator('[data-testid=dry-run-truncated]').count()).toBe(0);
        await c.screenshot('import-dry-run');

        // The dry run changed nothing: the holder is still the only device, and no import exists.
        const all = await server.apiOk<DeviceJson[]>('GET', `${DEVAUTH}/devices?per_page=500`);
        expect(all.map((d) => d.id)).toEqual([holderId]);
        expect(await server.apiOk<unknown[]>('GET', IMPORTS)).toEqual([]);

        // Import: the same file, then the import's own page follows it to the end.
        const commit = page.locator('[data-testid=import-commit]');
        expect(await commit.textContent()).toContain('3 new');
        await commit.click();
        await page.waitForURL(/\/devices\/import\/[^/?#]+$/);
        const importId = new URL(page.url()).pathname.split('/').pop() as string;
        const sawProgress = await watchForElement(page, '[data-testid=import-progress]');
        await page
          .locator('[data-testid=import-summary] [data-testid=import-status][data-status=succeeded]')
          .waitFor({ timeout: IMPORT_BOUND_MS });
        expect(await sawProgress()).toBe(true);
        expect(await page.locator('[data-testid=import-progress]').getAttribute('data-progress')).toBe('100');
        for (const [k, n] of Object.entries(expectedCounts))
          expect(
            await page
              .locator(`[data-testid=import-summary] [data-testid=import-count-${k}]`)
              .getAttribute('data-count'),
            k,
          ).toBe(String(n));
        expect(await textOf(page, '[data-testid=import-factory]')).toBe('Line 1 station');
        const importRows = page.locator('[data-testid=import-problems] tr[data-row-id]');
        await expect
          .poll(async () => importRows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-row-id'))), {
            timeout: UI_TIMEOUT_MS,
          })
          .toEqual(['5', '6']);
        await c.screenshot('import-done');

        const job = await server.apiOk<ImportJson>('GET', `${IMPORTS}/${importId}`);
        expect(job).toMatchObject({ status: 'succeeded', factory_id: factoryId, counts: expectedCounts });

        // The error report: every problem row, as the report endpoint sends it.
        const [download] = await Promise.all([
          page.waitForEvent('download', { timeout: UI_TIMEOUT_MS }),
          page.locator('[data-testid=import-report]').click(),
        ]);
        expect(download.suggestedFilename()).toBe(`import-${importId}-problems.csv`);
        const report = readFileSync(await download.path(), 'utf8')
          .trim()
          .split('\n');
        expect(report[0]).toBe('line,outcome,device_id,reason');
        expect(report.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
          '5,invalid,',
          `6,conflict,${holderId}`,
        ]);

        // The new devices are preauthorized, in the devices list.
        const preauthorized = await waitFor('the imported devices', async () => {
          const ds = await server.apiOk<DeviceJson[]>(
            'GET',
            `${DEVAUTH}/devices?status=preauthorized&per_page=500`,
          );
          return ds.length === 4 ? ds : undefined;
        });
        const imported = preauthorized.filter((d) => d.id !== holderId);
        expect(imported.map((d) => d.identity_data.sn).sort()).toEqual([sn('A'), sn('B'), sn('C')]);
        await c.navigate('/devices?status=preauthorized');
        const table = page.locator('[data-testid=devices-table]');
        for (const d of imported) await table.locator(`tr[data-row-id="${d.id}"]`).waitFor();
        await c.screenshot('import-devices-preauthorized');

        // Past imports: the import with its status, counts and factory, linking to its page.
        await c.navigate('/devices/import?tab=history');
        const historyRow = page.locator(`[data-testid=imports-table] tr[data-row-id="${importId}"]`);
        await historyRow.waitFor();
        expect(await historyRow.locator('[data-testid=import-status]').getAttribute('data-status')).toBe(
          'succeeded',
        );
        expect(await historyRow.locator('[data-testid=import-row-factory]').textContent()).toBe(
          'Line 1 station',
        );
        expect(await historyRow.locator('[data-testid=import-row-counts]').textContent()).toMatch(/3 new/);
        await c.screenshot('import-history');
        await historyRow.locator('[data-testid=import-link]').click();
        await page.waitForURL((u) => u.pathname === `/devices/import/${importId}`);
        await page.locator('[data-testid=import-status][data-status=succeeded]').waitFor();

        // Disabling the factory key, confirmed: its manifests are refused from then on.
        await c.navigate('/devices/import?tab=factories');
        await factoryRow.locator('[data-testid=factory-disable]').click();
        await page.locator('[data-testid=factory-disable-confirm]').click();
        await expect
          .poll(async () => factoryRow.locator('[data-testid=factory-status]').textContent(), {
            timeout: UI_TIMEOUT_MS,
          })
          .toBe('disabled');
        expect((await server.apiOk<{ enabled: boolean }>('GET', `${FACTORIES}/${factoryId}`)).enabled).toBe(
          false,
        );
        await c.screenshot('import-factory-disabled');

        expect(c.unexpectedProblems(), c.describeProblems()).toEqual([]);

        // The import screen and an import's page at a phone's width: the tables scroll inside them.
        const phone = await fx.openLoggedIn(undefined, PHONE);
        const pageWidth = async () =>
          (await phone.page.evaluate('document.documentElement.scrollWidth')) as number;
        await phone.goto('/devices/import');
        await phone.page.locator(dropZone).waitFor();
        await phone.screenshot('import-phone');
        expect(await pageWidth()).toBeLessThanOrEqual(PHONE.width);
        await phone.goto(`/devices/import/${importId}`);
        await phone.page.locator('[data-testid=import-problems] tr[data-row-id]').first().waitFor();
        await phone.screenshot('import-done-phone');
        expect(await pageWidth()).toBeLessThanOrEqual(PHONE.width);
        expect(phone.unexpectedProblems(), phone.describeProblems()).toEqual([]);
      });
    },
    { timeoutMs: 120_000 },
  );
}

import { expect, it } from 'vitest';
import { waitFor } from '../e2e/helpers/wait.js';
import { dialects } from '../helpers/databases.js';
import { describeBrowser } from './helpers/browser.js';
import {
  auditEvents,
  BULK_PATH,
  countDevices,
  DEVAUTH,
  type DeviceJson,
  sendPendingAuthRequests,
} from './helpers/devices.js';
import { useConsoleFixture } from './helpers/fixture.js';

/**
 * Bulk admission from the console (issue 9): 200 devices waiting, one "select all matching",
 * one confirmed accept, and the server does it in one request, on record under the operator.
 */
const FLEET = 200;

for (const dialect of dialects()) {
  describeBrowser(`console: bulk accept (${dialect})`, () => {
    const fx = useConsoleFixture(dialect);

    it(`accepts ${FLEET} pending devices with one request, each on record under the operator`, async () => {
      const { server } = fx;
      await sendPendingAuthRequests(server.url, FLEET);
      expect(await countDevices(server, 'pending')).toBe(FLEET);
      const pendingIds = new Set(
        (await server.apiOk<DeviceJson[]>('GET', `${DEVAUTH}/devices?status=pending&per_page=500`)).map(
          (d) => d.id,
        ),
      );
      expect(pendingIds.size).toBe(FLEET);

      const c = await fx.openLoggedIn();
      await c.goto('/devices?status=pending');
      const table = c.page.locator('[data-testid=devices-table]');
      const firstRow = table.locator('tr[data-row-id]').first();
      await firstRow.waitFor();
      // The total is shown, not just one page of rows.
      await c.page.locator(`[data-testid=pending-badge][aria-label="${FLEET} pending devices"]`).waitFor();
      await expect
        .poll(async () => (await c.page.locator('[data-testid=devices-total]').textContent()) ?? '')
        .toMatch(new RegExp(`\\b${FLEET}\\b`));
      const shownIds = await Promise.all(
        (await table.locator('tr[data-row-id]').all()).map((r) => r.getAttribute('data-row-id')),
      );
      expect(shownIds.length).toBeGreaterThan(0);
      expect(shownIds.length).toBeLessThan(FLEET); // paged: the rest is only reachable through "all matching"
      for (const id of shownIds) expect(pendingIds.has(id as string)).toBe(true);
      await c.screenshot('devices-pending-200');

      await firstRow.locator('input[type=checkbox]').check();
      await c.page.locator('[data-testid=select-all-matching]').click();
      await c.screenshot('devices-pending-all-selected');
      await c.page.locator('[data-testid=bulk-accept]').click();
      const confirm = c.page.locator('[data-testid=bulk-accept-confirm]');
      await confirm.waitFor();
      await c.screenshot('devices-bulk-confirm');
      const before = c.requestsTo('POST', BULK_PATH).length;
      expect(before).toBe(0);
      await confirm.click();

      const result = c.page.locator('[data-testid=bulk-result]');
      await result.waitFor({ timeout: 30_000 });
      await expect
        .poll(async () => (await result.textContent()) ?? '', { timeout: 30_000 })
        .toMatch(/succeeded/i);
      const said = (await result.textContent()) ?? '';
      expect(said).toMatch(new RegExp(`\\b${FLEET}\\b[^0-9]*succeeded|succeeded[^0-9]*\\b${FLEET}\\b`, 'i'));
      // The pending tab empties by itself.
      await c.page.locator('[data-testid=pending-badge][aria-label="0 pending devices"]').waitFor();
      await table.locator('tr[data-row-id]').first().waitFor({ state: 'detached' });
      await c.screenshot('devices-bulk-result');

      // One request did it all.
      const bulkRequests = c.requestsTo('POST', BULK_PATH);
      expect(bulkRequests).toHaveLength(1);
      const sent = bulkRequests[0]?.postDataJSON() as {
        action?: string;
        filter?: unknown;
        device_ids?: unknown;
      };
      expect(sent.action).toBe('accept');
      expect(await countDevices(server, 'accepted')).toBe(FLEET);
      expect(await countDevices(server, 'pending')).toBe(0);

      // Every accept is in the audit log, naming the operator.
      const events = await waitFor('all accept events in the audit log', async () => {
        const e = await auditEvents(server, { type: 'device.accepted' });
        return e.length >= FLEET ? e : undefined;
      });
      expect(events).toHaveLength(FLEET);
      expect(new Set(events.map((e) => e.device_id))).toEqual(pendingIds);
      for (const e of events) expect(e.data.actor?.email, `actor of ${e.id}`).toBe(server.admin.email);

      await c.goto('/audit');
      await c.heading();
      await c.screenshot('audit');
    });
  });
}

import { beforeAll, expect, it } from 'vitest';
import { MENDER_ARTIFACT } from '../helpers/artifacts.js';
import { dialects } from '../helpers/databases.js';
import { DESKTOP, describeBrowser, PHONE } from './helpers/browser.js';
import type { PageProblem } from './helpers/console-page.js';
import { useConsoleFixture } from './helpers/fixture.js';
import { type SeededFleet, seedFleet } from './helpers/seed.js';

/**
 * Every main screen of the console, with something on it, at a desktop and at a phone width
 * (issue 9): each renders its title without an error, with no uncaught page error and no console
 * error, and nothing makes the page itself wider than the screen (tables scroll on their own).
 * The screenshots are the visual record (test-output/screenshots/<dialect>/tour-*.png).
 */
const screens = (f: SeededFleet): { name: string; path: string }[] => [
  { name: 'devices', path: '/devices' },
  { name: 'devices-pending', path: '/devices?status=pending' },
  { name: 'devices-accepted', path: '/devices?status=accepted' },
  { name: 'devices-rejected', path: '/devices?status=rejected' },
  { name: 'devices-preauthorized', path: '/devices?status=preauthorized' },
  { name: 'device', path: `/devices/${f.acceptedDeviceId}` },
  { name: 'device-pending', path: `/devices/${f.pendingDeviceId}` },
  { name: 'preauthorize', path: '/devices/preauthorize' },
  { name: 'import', path: '/devices/import' },
  { name: 'import-history', path: '/devices/import?tab=history' },
  { name: 'import-factories', path: '/devices/import?tab=factories' },
  { name: 'releases', path: '/releases' },
  { name: 'artifact', path: `/releases/artifacts/${f.artifactId}` },
  { name: 'deployments', path: '/deployments' },
  { name: 'deployment-new', path: '/deployments/new' },
  { name: 'deployment', path: `/deployments/${f.deploymentId}` },
  { name: 'certificates', path: '/certificates' },
  { name: 'ca', path: `/certificates/cas/${f.caId}` },
  { name: 'enrollment', path: '/enrollment' },
  { name: 'bootstrap', path: '/bootstrap' },
  { name: 'webhooks', path: '/webhooks' },
  { name: 'users', path: '/users' },
  { name: 'audit', path: '/audit' },
];

/**
 * Errors a working console may log. Chromium logs every non-2xx response to a fetch as a console
 * error, even when the page expects it:
 * - the device page asks for the device's certificate enrollment record
 *   (GET /api/management/v1/enrollment/registrations/<device id>); a device admitted any other
 *   way has none, and the 404 is how the API says so (the page then shows "not enrolled by
 *   certificate").
 */
const expectedProblem = (p: PageProblem): boolean =>
  p.kind === 'console' &&
  /\/devices\/[^/?#]+$/.test(new URL(p.url).pathname) &&
  /status of 404 .*\/api\/management\/v1\/enrollment\/registrations\/[^/\s)]+\)$/.test(p.text);

for (const dialect of dialects()) {
  describeBrowser(
    `console: tour of every screen (${dialect})`,
    () => {
      const fx = useConsoleFixture(dialect);
      let fleet: SeededFleet;

      beforeAll(async () => {
        fleet = await seedFleet(fx.server);
      });

      for (const [size, viewport] of [
        ['desktop', DESKTOP],
        ['phone', PHONE],
      ] as const) {
        it(`every main screen renders at ${viewport.width}×${viewport.height} without errors`, async () => {
          const c = await fx.openLoggedIn(undefined, viewport);
          let broken = false;
          for (const screen of screens(fleet)) {
            const before = c.problems.length;
            // In-app navigation, as the console's links do; after a screen that broke the app, a
            // fresh load, so that one broken screen cannot hide the next.
            if (broken) await c.goto(screen.path);
            else await c.navigate(screen.path);
            const title = await c.heading(8_000).catch((e: Error) => `(no h1: ${e.message.split('\n')[0]})`);
            broken = title.startsWith('(no h1');
            await c.settled().catch(() => {});
            await c.screenshot(`tour-${size}-${screen.name}`);
            const where = `${screen.path} at ${viewport.width} px`;
            expect.soft(title, `${where}: h1`).not.toMatch(/^\(no h1/);
            expect
              .soft(await c.page.locator('[data-testid=error]').count(), `${where}: error alerts`)
              .toBe(0);
            const problems = c.problems.slice(before).filter((p) => !expectedProblem(p));
            expect
              .soft(
                problems.map((p) => `[${p.kind}] ${p.text}`),
                `${where}: page and console errors`,
              )
              .toEqual([]);
            const width = (await c.page.evaluate('document.documentElement.scrollWidth')) as number;
            expect
              .soft(width, `${where}: page width (tables must scroll inside it)`)
              .toBeLessThanOrEqual(viewport.width);
          }
        });
      }
    },
    { tools: [MENDER_ARTIFACT], timeoutMs: 120_000 },
  );
}

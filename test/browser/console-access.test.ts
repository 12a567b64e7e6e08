import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { CONSOLE_INDEX, describeBrowser, REPO } from './helpers/browser.js';
import { type ConsolePage, EMAIL_LABEL, PASSWORD_LABEL, UI_TIMEOUT_MS } from './helpers/console-page.js';
import { devicesWithMac, sendPendingAuthRequests } from './helpers/devices.js';
import { useConsoleFixture } from './helpers/fixture.js';

/**
 * The console as `gatehouse serve` delivers it (docs/principles.md#the-console-is-an-api-client):
 * the app at /, every deep link of the single-page app and its assets, while unknown API paths stay JSON 404s; `npm start` runs
 * what npm ci built, without rebuilding.
 *
 * Who gets in and what they are offered, in Chromium against a real `gatehouse serve`: the login
 * form and the layout an operator lands on, a refused password shown in words, and a read-only
 * user who sees the fleet but is offered nothing that would fail with 403 (issue 9): no accept,
 * reject or bulk actions on the pending tab, no upload on the releases page. The admin, on the
 * same data, is offered them (so their absence means something).
 */
const html = async (res: Response) => ({
  status: res.status,
  type: res.headers.get('content-type') ?? '',
  body: await res.text(),
});

const WRITE_CONTROLS = [
  '[data-testid=row-accept]',
  '[data-testid=row-reject]',
  '[data-testid=select-all-matching]',
  '[data-testid^=bulk-]',
  '[data-testid=preauthorize-open]',
];

const countWriteControls = async (c: ConsolePage): Promise<Record<string, number>> => {
  const out: Record<string, number> = {};
  for (const sel of WRITE_CONTROLS) out[sel] = await c.page.locator(sel).count();
  out['buttons named accept/reject'] = await c.page
    .locator('main')
    .getByRole('button', { name: /accept|reject/i })
    .count();
  return out;
};

/** Waits until the console knows who is logged in (until then it hides write controls anyway). */
const waitForMe = async (c: ConsolePage, email: string) => {
  await expect
    .poll(async () => (await c.page.locator('[data-testid=user-menu]').textContent()) ?? '', {
      timeout: UI_TIMEOUT_MS,
    })
    .toContain(email);
};

for (const dialect of dialects()) {
  describeBrowser(`console: serving, login and roles (${dialect})`, () => {
    const fx = useConsoleFixture(dialect);

    it('GET / and deep links answer the console, its assets are served', async () => {
      // Every route of the console (web/src/app.tsx), as a reload or a shared link reaches it.
      const consoleRoutes = [
        '/',
        '/login',
        '/devices',
        '/devices?status=pending',
        '/devices/abc',
        '/devices/preauthorize',
        '/releases',
        '/releases/artifacts/abc',
        '/deployments',
        '/deployments/new?devices=abc',
        '/deployments/abc',
        '/certificates',
        '/certificates/cas/abc',
        '/enrollment',
        '/bootstrap',
        '/webhooks',
        '/users',
        '/audit',
      ];
      for (const path of consoleRoutes) {
        const res = await html(await fetch(`${fx.server.url}${path}`));
        expect(res.status, path).toBe(200);
        expect(res.type, path).toMatch(/^text\/html/);
        expect(res.body, path).toContain('<div id="root">');
      }
      // The very file that npm run build wrote, and the script it loads.
      const index = readFileSync(CONSOLE_INDEX, 'utf8');
      expect((await html(await fetch(`${fx.server.url}/`))).body).toBe(index);
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(index)?.[1];
      expect(script, 'index.html loads a script').toBeDefined();
      const js = await fetch(`${fx.server.url}${script}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type') ?? '').toMatch(/javascript/);
      await js.arrayBuffer();
    });

    it('an unknown API path is a JSON 404, not the console', async () => {
      for (const path of ['/api/unknown', '/api/management/v1/nothing-here']) {
        const res = await fetch(`${fx.server.url}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type') ?? '', path).toMatch(/application\/json/);
        const body = (await res.json()) as Record<string, unknown>;
        expect(typeof body.error === 'string' || typeof body.message === 'string', JSON.stringify(body)).toBe(
          true,
        );
      }
    });

    it('logs in through the form and lands in the layout', async () => {
      const c = await fx.open();
      await c.goto('/devices');
      // Not logged in: the console sends the operator to the login form.
      await c.page.waitForURL(/\/login$/);
      await c.page.getByLabel(EMAIL_LABEL).waitFor();
      await c.screenshot('login');

      await c.login(fx.server.admin.email, fx.server.admin.password);
      await c.page.waitForURL(/\/devices$/);
      expect(await c.heading()).toBe('Devices');
      // The layout: main navigation and the pending-devices shortcut.
      const nav = c.page.getByRole('navigation', { name: 'Main' });
      for (const label of ['Devices', 'Releases', 'Deployments', 'Certificates', 'Audit log'])
        await expect(nav.getByRole('link', { name: label, exact: true }).count()).resolves.toBe(1);
      await c.page.locator('[data-testid=pending-badge]').waitFor();
      await c.screenshot('layout');
    });

    it('a wrong password is refused in words, and no token is kept', async () => {
      const c = await fx.open();
      await c.goto('/login');
      await c.page.getByLabel(EMAIL_LABEL).fill(fx.server.admin.email);
      await c.page.getByLabel(PASSWORD_LABEL).fill('not the password');
      await c.page.getByRole('button', { name: 'Log in', exact: true }).click();
      const alert = c.page.locator('[data-testid=error]');
      await alert.waitFor();
      const said = (await alert.textContent()) ?? '';
      expect(said).not.toMatch(/[{}]/); // words, not raw JSON
      expect(said).toMatch(/password/i);
      expect(said).not.toMatch(/session/i);
      expect(c.page.url()).toMatch(/\/login$/);
      expect(await c.page.evaluate('sessionStorage.length')).toBe(0);
      await c.screenshot('login-refused');
    });

    it('the pending tab offers no accept, reject or bulk actions, and releases no upload', async () => {
      const { server } = fx;
      const [mac] = await sendPendingAuthRequests(server.url, 1);
      const [pending] = await devicesWithMac(server, mac as string, 'pending');
      expect(pending).toBeDefined();
      const rowSelector = `[data-testid=devices-table] tr[data-row-id="${pending?.id}"]`;

      // Control: the admin is offered them on the same data.
      const admin = await fx.openLoggedIn();
      await waitForMe(admin, server.admin.email);
      await admin.goto('/devices?status=pending');
      await admin.page.locator(rowSelector).waitFor();
      await admin.page.locator(`${rowSelector} [data-testid=row-accept]`).waitFor();
      await admin.screenshot('admin-devices-pending');
      await admin.goto('/releases');
      await admin.heading();
      expect(await admin.page.locator('[data-testid=artifact-file]').count()).toBe(1);
      await admin.screenshot('admin-releases');

      const viewer = await fx.openLoggedIn(server.readonly);
      await waitForMe(viewer, server.readonly.email);
      await viewer.goto('/devices?status=pending');
      await viewer.page.locator(rowSelector).waitFor();
      await viewer.settled();
      expect(await countWriteControls(viewer)).toEqual(
        Object.fromEntries([...WRITE_CONTROLS, 'buttons named accept/reject'].map((k) => [k, 0])),
      );
      await viewer.screenshot('readonly-devices-pending');

      await viewer.goto('/releases');
      await viewer.heading();
      await viewer.settled();
      expect(await viewer.page.locator('[data-testid=artifact-file]').count()).toBe(0);
      expect(await viewer.page.locator('input[type=file]').count()).toBe(0);
      await viewer.screenshot('readonly-releases');
      expect(viewer.unexpectedProblems(), viewer.describeProblems()).toEqual([]);
    });
  });
}

describe('npm start', () => {
  it('runs what npm ci built: no build step before or in start', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prestart).toBeUndefined();
    expect(pkg.scripts.start).toBeDefined();
    expect(pkg.scripts.start).not.toMatch(/\b(tsc|vite|build|tsx)\b/);
    // The console is built where the server looks for it, by the install step.
    expect(pkg.scripts.prepare).toMatch(/\bbuild\b/);
    expect(pkg.scripts.build).toMatch(/vite build web/);
  });
});

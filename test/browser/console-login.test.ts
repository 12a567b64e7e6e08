import { expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { describeBrowser } from './helpers/browser.js';
import { EMAIL_LABEL, PASSWORD_LABEL } from './helpers/console-page.js';
import { useConsoleFixture } from './helpers/fixture.js';

/**
 * The console's front door, in Chromium against a real `gatehouse serve`: the login form, the
 * layout an operator lands on, and a refused password shown in words.
 */
for (const dialect of dialects()) {
  describeBrowser(`console login (${dialect})`, () => {
    const fx = useConsoleFixture(dialect);

    it('logs in through the form and lands in the layout', async () => {
      const c = await fx.open();
      await c.goto('/devices');
      // Not logged in: the console sends the operator to the login form.
      await c.page.waitForURL(/\/login$/);
      await c.page.getByLabel(EMAIL_LABEL).waitFor();
      await c.screenshot('login');

      await c.login(fx.server.admin.email, fx.server.admin.password);
      await c.page.waitForURL(/\/devices$/);
      await expect.poll(() => c.heading()).toBe('Devices');
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
  });
}

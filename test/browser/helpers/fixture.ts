import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { disposeAllDevices } from '../../e2e/helpers/mender-device.js';
import type { DialectName } from '../../helpers/databases.js';
import { DESKTOP, launchChromium } from './browser.js';
import { ConsolePage } from './console-page.js';
import { type ConsoleServer, startConsoleServer } from './console-server.js';

export interface ConsoleFixture {
  server: ConsoleServer;
  browser: Browser;
  /** A new tab in a fresh context (closed after the test). */
  open(viewport?: { width: number; height: number }): Promise<ConsolePage>;
  /** A new tab, logged in through the form as the admin (or `user`). */
  openLoggedIn(
    user?: { email: string; password: string },
    viewport?: { width: number; height: number },
  ): Promise<ConsolePage>;
}

/**
 * Registers the hooks of a browser test file for one dialect: a `gatehouse serve` child process
 * and one Chromium for the whole describe block, a fresh browser context per tab, and cleanup
 * after every test (tabs closed, simulated devices stopped; on failure the server's output, the
 * pages' errors and the devices' logs are printed).
 */
export const useConsoleFixture = (dialect: DialectName, opts: { flags?: string[] } = {}): ConsoleFixture => {
  let server: ConsoleServer | undefined;
  let browser: Browser | undefined;
  const pages: ConsolePage[] = [];

  beforeAll(async () => {
    const [s, b] = await Promise.allSettled([startConsoleServer(dialect, opts), launchChromium()]);
    if (s.status === 'fulfilled') server = s.value;
    if (b.status === 'fulfilled') browser = b.value;
    if (s.status === 'rejected') throw s.reason;
    if (b.status === 'rejected') throw b.reason;
  });

  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === 'fail';
    if (failed) {
      for (const p of pages) console.error(`--- page ${p.page.url()} problems ---\n${p.describeProblems()}`);
      if (server) console.error(`--- gatehouse serve output ---\n${server.logTail(60)}`);
    }
    await Promise.all(pages.splice(0).map((p) => p.close().catch(() => {})));
    await disposeAllDevices({ printLogs: failed });
  });

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
  });

  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} did not start (see beforeAll)`);
    return v;
  };

  const fixture: ConsoleFixture = {
    get server() {
      return need(server, 'gatehouse serve');
    },
    get browser() {
      return need(browser, 'chromium');
    },
    async open(viewport = DESKTOP) {
      const p = await ConsolePage.open(fixture.browser, fixture.server.url, dialect, viewport);
      pages.push(p);
      return p;
    },
    async openLoggedIn(user, viewport = DESKTOP) {
      const p = await fixture.open(viewport);
      const u = user ?? fixture.server.admin;
      await p.login(u.email, u.password);
      return p;
    },
  };
  return fixture;
};

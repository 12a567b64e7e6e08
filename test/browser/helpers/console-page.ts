import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import type { DialectName } from '../../helpers/databases.js';
import { DESKTOP, newContext, SCREENSHOT_DIR } from './browser.js';

/** How long one UI step may take before the test fails (generous for a loaded CI machine). */
export const UI_TIMEOUT_MS = 15_000;

/** The login form's labels ("Email", "Password"; Mantine appends an aria-hidden " *" to required ones). */
export const EMAIL_LABEL = /^Email( \*)?$/;
export const PASSWORD_LABEL = /^Password( \*)?$/;

/** Something the page reported that a working console never should. */
export interface PageProblem {
  kind: 'pageerror' | 'console' | 'requestfailed';
  text: string;
  url: string;
}

/**
 * One browser tab on the console, in its own context: logs in through the login form, visits
 * screens, saves screenshots under test-output/screenshots/<dialect>/, and collects uncaught
 * page errors and console errors so that a test can assert there were none.
 */
export class ConsolePage {
  readonly problems: PageProblem[] = [];
  /** Every request the page made, in order (for "exactly one request" assertions). */
  readonly requests: Request[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly baseUrl: string,
    readonly dialect: DialectName,
  ) {
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (e) =>
      this.problems.push({ kind: 'pageerror', text: e.stack ?? e.message, url: page.url() }),
    );
    page.on('console', (m) => {
      if (m.type() === 'error') {
        const loc = m.location();
        this.problems.push({
          kind: 'console',
          text: `${m.text()}${loc.url ? ` (${loc.url})` : ''}`,
          url: page.url(),
        });
      }
    });
    page.on('request', (r) => this.requests.push(r));
  }

  static async open(
    browser: Browser,
    baseUrl: string,
    dialect: DialectName,
    viewport: { width: number; height: number } = DESKTOP,
  ): Promise<ConsolePage> {
    const context = await newContext(browser, viewport);
    const page = await context.newPage();
    return new ConsolePage(context, page, baseUrl, dialect);
  }

  async goto(path: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}${path}`, { waitUntil: 'domcontentloaded' });
  }

  /**
   * Goes to `path` inside the running console, as its own links do (history.pushState and a
   * popstate for the router): no reload, the live stream stays connected.
   */
  async navigate(path: string): Promise<void> {
    await this.page.evaluate(
      `window.history.pushState({}, '', ${JSON.stringify(path)}); window.dispatchEvent(new PopStateEvent('popstate'));`,
    );
    await this.page.waitForURL((u) => `${u.pathname}${u.search}` === path);
  }

  /** Waits until nothing on the page says it is loading (bounded by the UI timeout). */
  async settled(): Promise<void> {
    await this.page.locator('[aria-busy=true]').first().waitFor({ state: 'detached' });
  }

  /** Logs in through the login form and waits for the layout (the user menu) to show. */
  async login(email: string, password: string): Promise<void> {
    await this.goto('/login');
    await this.page.getByLabel(EMAIL_LABEL).fill(email);
    await this.page.getByLabel(PASSWORD_LABEL).fill(password);
    await this.page.getByRole('button', { name: 'Log in', exact: true }).click();
    await this.page.locator('[data-testid=user-menu]').waitFor({ state: 'visible' });
  }

  /** The page's h1, once rendered (every screen has exactly one). */
  async heading(timeoutMs = UI_TIMEOUT_MS): Promise<string> {
    const h1 = this.page.locator('main h1, h1').first();
    await h1.waitFor({ state: 'visible', timeout: timeoutMs });
    return ((await h1.textContent()) ?? '').trim();
  }

  /** Saves test-output/screenshots/<dialect>/<name>.png (the full page). */
  async screenshot(name: string): Promise<string> {
    const dir = join(SCREENSHOT_DIR, this.dialect);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${name}.png`);
    await this.page.screenshot({ path, fullPage: true, animations: 'disabled' });
    return path;
  }

  /** Requests the page made to `path` (pathname, any query), with method. */
  requestsTo(method: string, path: string): Request[] {
    return this.requests.filter((r) => r.method() === method && new URL(r.url()).pathname === path);
  }

  /** Problems other than the ones `expected` matches (documented, expected errors such as a 404 probe). */
  unexpectedProblems(expected: (p: PageProblem) => boolean = () => false): PageProblem[] {
    return this.problems.filter((p) => !expected(p));
  }

  describeProblems(): string {
    return this.problems.map((p) => `[${p.kind}] ${p.text} @ ${p.url}`).join('\n') || '(none)';
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

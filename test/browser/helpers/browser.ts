import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { beforeAll, describe } from 'vitest';
import { missingPrerequisite as missingMenderPrerequisite } from '../../e2e/helpers/host.js';
import { IN_CI } from '../../helpers/env.js';

/**
 * Debian's Chromium driven by playwright-core (docs/principles.md#tests-use-real-components).
 * No browser is downloaded: the tests use the system package (.ci/run installs it), and are skipped locally without it and
 * fail in CI (test/helpers/env.ts).
 */
export const CHROMIUM = '/usr/bin/chromium';

/** Flags for a quiet, self-contained headless run: nothing phones home, nothing is shared. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The built console that `gatehouse serve` serves at / (`npm run build`, run by npm ci). */
export const CONSOLE_INDEX = join(REPO, 'web', 'dist', 'index.html');

/** Where every browser test saves its screenshots (git-ignored). */
export const SCREENSHOT_DIR = join(REPO, 'test-output', 'screenshots');

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 800 } as const;

/** Fails (never skips) when the console is not built: it is part of the product, not a host tool. */
export const requireConsoleBuild = (): void => {
  if (!existsSync(CONSOLE_INDEX)) {
    throw new Error(
      `${CONSOLE_INDEX} is missing: the console is not built. Run \`npm run build\` (npm ci runs it through "prepare").`,
    );
  }
};

const findMissingTool = (tools: readonly string[]): string | undefined => {
  for (const tool of tools) {
    try {
      accessSync(tool, constants.X_OK);
    } catch {
      return `${tool} is not installed (apt-get install ${tool.split('/').pop()})`;
    }
  }
  return undefined;
};

/**
 * A describe() block of browser tests. Locally it is skipped, with the reason in its name, when
 * Chromium (or, with `mender`, the real Mender client and its host setup, or one of `tools`) is
 * missing; in CI it runs and fails instead. A missing console build always fails: it is part of
 * the product, not a tool of the host.
 */
export const describeBrowser = (
  name: string,
  body: () => void,
  opts: { mender?: boolean; tools?: readonly string[]; timeoutMs?: number } = {},
): void => {
  const missing =
    findMissingTool([CHROMIUM]) ??
    (opts.mender ? missingMenderPrerequisite : undefined) ??
    findMissingTool(opts.tools ?? []);
  if (missing && !IN_CI) {
    console.warn(`skipping "${name}": ${missing} (in CI this fails)`);
    describe.skip(`${name} [skipped: ${missing}]`, body);
    return;
  }
  describe(name, { timeout: opts.timeoutMs ?? 60_000 }, () => {
    beforeAll(() => {
      if (missing) throw new Error(`browser test prerequisite missing in CI: ${missing}`);
      requireConsoleBuild();
    });
    body();
  });
};

/** A fresh headless Chromium; playwright gives every launch its own temporary profile. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: 30_000,
  });

/** A new, empty browser context (no cookies, no storage shared with any other test). */
export const newContext = (browser: Browser, viewport: { width: number; height: number } = DESKTOP) =>
  browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' }) as Promise<BrowserContext>;

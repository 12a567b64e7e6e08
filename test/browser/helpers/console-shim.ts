import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { REPO } from './browser.js';

/**
 * TEMPORARY, until `gatehouse serve` serves web/dist itself (issue 9 API work): when the server
 * answers GET / with something other than the console, the browser gets web/dist from disk for
 * every non-API path, and /api goes to the real server. Removed once the server does it.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export const serveConsoleFromDiskIfNeeded = async (context: BrowserContext, baseUrl: string) => {
  const res = await fetch(`${baseUrl}/`);
  if (res.status === 200 && (await res.text()).includes('<div id="root">')) return;
  const dist = join(REPO, 'web', 'dist');
  await context.route(`${baseUrl}/**`, async (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname.startsWith('/api/')) return route.continue();
    const file = normalize(join(dist, pathname));
    const path = file.startsWith(dist) && existsSync(file) && extname(file) ? file : join(dist, 'index.html');
    return route.fulfill({
      status: 200,
      body: readFileSync(path),
      contentType: TYPES[extname(path)] ?? 'application/octet-stream',
    });
  });
};

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { CONSOLE_INDEX, REPO, requireConsoleBuild } from './helpers/browser.js';
import { type ConsoleServer, startConsoleServer } from './helpers/console-server.js';

/**
 * `gatehouse serve` serves the built console itself (DESIGN.md §7): the app at /, every deep
 * link of the single-page app, its assets; unknown API paths stay JSON 404s; and `npm start`
 * runs what npm ci built, without rebuilding. No browser needed.
 */
const html = async (res: Response) => ({
  status: res.status,
  type: res.headers.get('content-type') ?? '',
  body: await res.text(),
});

for (const dialect of dialects()) {
  describe(`console served by gatehouse serve (${dialect})`, () => {
    let server: ConsoleServer;

    beforeAll(async () => {
      requireConsoleBuild();
      server = await startConsoleServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

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
        const res = await html(await fetch(`${server.url}${path}`));
        expect(res.status, path).toBe(200);
        expect(res.type, path).toMatch(/^text\/html/);
        expect(res.body, path).toContain('<div id="root">');
      }
      // The very file that npm run build wrote, and the script it loads.
      const index = readFileSync(CONSOLE_INDEX, 'utf8');
      expect((await html(await fetch(`${server.url}/`))).body).toBe(index);
      const script = /<script[^>]+src="([^"]+\.js)"/.exec(index)?.[1];
      expect(script, 'index.html loads a script').toBeDefined();
      const js = await fetch(`${server.url}${script}`);
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type') ?? '').toMatch(/javascript/);
      await js.arrayBuffer();
    });

    it('an unknown API path is a JSON 404, not the console', async () => {
      for (const path of ['/api/unknown', '/api/management/v1/nothing-here']) {
        const res = await fetch(`${server.url}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type') ?? '', path).toMatch(/application\/json/);
        const body = (await res.json()) as Record<string, unknown>;
        expect(typeof body.error === 'string' || typeof body.message === 'string', JSON.stringify(body)).toBe(
          true,
        );
      }
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

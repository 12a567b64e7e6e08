import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, PACKAGE_ROOT } from '../../src/config/config.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

// The web console served at `/` from a built folder (here a temporary one, not the real build):
// cache headers, security headers, the single-page-app fallback, and the API's own 404s.

const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-3f2a9c.js"></script></head></html>';

const securityHeaders = (h: Record<string, unknown>) => {
  expect(h['content-security-policy']).toBe(CSP);
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBe('no-referrer');
};

describe('the console at / (built folder given by GATEHOUSE_CONSOLE_DIR)', () => {
  let t: TestServer;
  const dist = mkdtempSync(join(tmpdir(), 'gh-console-'));

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets', 'app-3f2a9c.js'), 'console.log("console");\n');
    writeFileSync(join(dist, 'assets', 'app-3f2a9c.css'), 'body{}\n');
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dist, '.env'), 'SECRET=1\n');
    t = await startTestGatehouse('sqlite', { flags: { consoleDir: dist } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dist, { recursive: true, force: true });
  });

  const get = (url: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') => t.app.inject({ method, url });

  it('serves index.html at / and for console pages, revalidated, with the security headers', async () => {
    for (const url of [
      '/',
      '/devices',
      '/devices/8a1f6c1e-0000-4000-8000-000000000000',
      '/releases/x?tab=1',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(INDEX);
      securityHeaders(res.headers);
    }
    const head = await get('/devices', 'HEAD');
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
  });

  it('serves hashed assets as immutable and other files revalidated', async () => {
    const js = await get('/assets/app-3f2a9c.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    securityHeaders(js.headers);
    const css = await get('/assets/app-3f2a9c.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const icon = await get('/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    securityHeaders(icon.headers);
  });

  it('keeps JSON 404s for the API, for missing files, dotfiles and paths out of the folder', async () => {
    for (const url of [
      '/api/management/v1/nothing',
      '/api/nothing',
      '/api',
      '/bootstrap/nothing',
      '/.well-known/nothing',
      '/pki/nothing',
      '/assets/missing.js',
      '/.env',
      '/assets/../../package.json',
      '/%2e%2e/package.json',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: 'not found', request_id: expect.any(String) });
    }
    const post = await get('/devices', 'POST');
    expect(post.statusCode).toBe(404);
    expect(post.json().error).toBe('not found');
    // The API is unaffected.
    expect((await get('/api/health')).json()).toEqual({ status: 'ok' });
    expect((await get('/api/management/v1/useradm/users')).statusCode).toBe(401);
  });

  it('leaves the console out of the OpenAPI document', async () => {
    const doc = (await get('/api/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(
      Object.keys(doc.paths).filter(
        (p) =>
          !p.startsWith('/api/') &&
          !p.startsWith('/bootstrap') &&
          !p.startsWith('/.well-known') &&
          !p.startsWith('/pki'),
      ),
    ).toEqual([]);
  });
});

describe('the console when it is not built', () => {
  it.each([
    ['an empty folder', () => mkdtempSync(join(tmpdir(), 'gh-console-empty-'))],
    ['no folder', () => join(tmpdir(), `gh-console-missing-${Date.now()}`)],
  ])('answers GET / with a JSON 404 that says so (%s)', async (_name, dir) => {
    const t = await startTestGatehouse('sqlite', { flags: { consoleDir: dir() } });
    try {
      for (const url of ['/', '/devices']) {
        const res = await t.app.inject({ method: 'GET', url });
        expect(res.statusCode).toBe(404);
        expect(res.json()).toMatchObject({ error: 'console not built: run npm run build' });
      }
      expect((await t.app.inject({ method: 'GET', url: '/api/nothing' })).json().error).toBe('not found');
    } finally {
      await t.close();
    }
  });

  it('looks for the console in web/dist of the package by default, wherever the process runs', () => {
    expect(loadConfig({}, {}).consoleDir).toBe(join(PACKAGE_ROOT, 'web', 'dist'));
    expect(loadConfig({ consoleDir: 'rel/dir' }, {}).consoleDir).toBe(join(process.cwd(), 'rel', 'dir'));
    expect(loadConfig({}, { GATEHOUSE_CONSOLE_DIR: '/srv/console' }).consoleDir).toBe('/srv/console');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderDocs } from '../src/docs-gen.js';

describe('generated documents', () => {
  it('docs/config.md and docs/api/openapi.json match the code (run `npm run docs`)', async () => {
    for (const [path, text] of Object.entries(await renderDocs())) {
      expect(readFileSync(path, 'utf8'), `${path} is stale: run npm run docs`).toBe(text);
    }
  });

  it('documents every route with its responses', async () => {
    const spec = JSON.parse((await renderDocs())['docs/api/openapi.json'] as string) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const paths = Object.keys(spec.paths);
    for (const p of [
      '/api/devices/v1/authentication/auth_requests',
      '/api/management/v2/devauth/devices',
      '/api/management/v2/devauth/devices/{id}/auth/{aid}/status',
      '/api/management/v1/useradm/auth/login',
      '/api/devices/v1/inventory/device/attributes',
      '/.well-known/jwks.json',
    ]) {
      expect(paths).toContain(p);
    }
    for (const [p, ops] of Object.entries(spec.paths)) {
      for (const [m, op] of Object.entries(ops))
        expect(Object.keys(op.responses ?? {}).length, `${m} ${p}`).toBeGreaterThan(0);
    }
  });
});

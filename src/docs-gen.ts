import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from './app.js';
import { loadConfig, renderConfigDoc } from './config/config.js';
import { openGatehouse } from './wiring.js';

/** The generated documents: docs/config.md and docs/api/openapi.json. */
export const renderDocs = async (): Promise<Record<string, string>> => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-docs-'));
  const gh = await openGatehouse(loadConfig({ dataDir: dir }, {}));
  try {
    const app = await buildApp(gh);
    await app.ready();
    const spec = app.swagger() as Record<string, unknown>;
    await app.close();
    return {
      'docs/config.md': renderConfigDoc(),
      'docs/api/openapi.json': `${JSON.stringify(spec, null, 2)}\n`,
    };
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
};

// `npm run docs`: regenerates docs/config.md and docs/api/openapi.json from the code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderDocs } from '../src/docs-gen.js';

for (const [path, text] of Object.entries(await renderDocs())) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`wrote ${path}\n`);
}

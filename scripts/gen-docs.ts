// `npm run docs`: regenerates docs/config.md, docs/api/openapi.json, the event table in
// docs/webhooks.md and, when Mender's published OpenAPI document is at hand,
// docs/compat/mender-openapi.md from the code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderDocs } from '../src/docs-gen.js';
import { loadMenderDocument, MENDER_OPENAPI_PATH } from '../test/compat/mender-openapi.js';
import { MENDER_TABLE_PATH, renderMenderTable } from './mender-openapi-table.js';
import { WEBHOOKS_DOC_PATH, withEventTable } from './webhooks-event-table.js';

const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  process.stdout.write(`wrote ${path}\n`);
};

const docs = await renderDocs();
for (const [path, text] of Object.entries(docs)) write(path, text);
write(WEBHOOKS_DOC_PATH, withEventTable(readFileSync(WEBHOOKS_DOC_PATH, 'utf8')));

const mender = loadMenderDocument();
if (mender) {
  write(MENDER_TABLE_PATH, renderMenderTable(mender, JSON.parse(docs['docs/api/openapi.json'] ?? '{}')));
} else {
  process.stdout.write(
    `skipped ${MENDER_TABLE_PATH}: Mender's OpenAPI document is not at ${MENDER_OPENAPI_PATH}\n`,
  );
}

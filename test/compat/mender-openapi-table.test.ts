import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MENDER_TABLE_PATH,
  renderMenderTable,
  routeFor,
  routesOf,
} from '../../scripts/mender-openapi-table.js';
import { renderDocs } from '../../src/docs-gen.js';
import { IN_CI } from '../helpers/env.js';
import { loadMenderDocument, MENDER_OPENAPI_PATH } from './mender-openapi.js';
import { DIFFERENCES } from './mender-openapi-differences.js';

const doc = loadMenderDocument();

describe("the coverage table of Mender's OpenAPI document", () => {
  it(`${MENDER_TABLE_PATH} matches the document and the routes (run \`npm run docs\`)`, async (ctx) => {
    if (!doc && !IN_CI) ctx.skip();
    expect(doc, `Mender's OpenAPI document is missing: ${MENDER_OPENAPI_PATH}`).toBeDefined();
    if (!doc) return;
    const spec = JSON.parse((await renderDocs())['docs/api/openapi.json'] as string);
    expect(readFileSync(MENDER_TABLE_PATH, 'utf8'), `${MENDER_TABLE_PATH} is stale: run npm run docs`).toBe(
      renderMenderTable(doc, spec),
    );
  });

  it('lists differences only for operations of the document that Gatehouse serves', async (ctx) => {
    if (!doc) return ctx.skip();
    const routes = routesOf(JSON.parse((await renderDocs())['docs/api/openapi.json'] as string));
    const unknown = DIFFERENCES.filter((d) => d.operation !== '*').filter((d) => {
      const op = doc.operations.find((o) => o.key === d.operation);
      return !op || !routeFor(routes, op);
    });
    expect(unknown.map((d) => d.operation)).toEqual([]);
  });
});

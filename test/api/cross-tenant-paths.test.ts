import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../helpers/databases.js';
import { hasTool } from '../helpers/openssl.js';
import { CASES, NOT_TENANT_RESOURCES, type Params } from './cross-tenant-cases.js';
import { answer, snapshot, unknownLike } from './cross-tenant-compare.js';
import { buildWorld, type Method, type World } from './cross-tenant-world.js';

// Every operation of the generated OpenAPI document that has an id in its path is called as a
// user (or device) of tenant A with tenant B's id and with a random id of the same shape: both
// answers must be identical (status, content type, body apart from request_id and the id
// itself), must be the documented refusal, and no row of tenant B (nor any row count) may change.
// An operation this table does not cover fails the suite (ADR 2: another tenant's resource is a 404).

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('cross-tenant ids in paths on %s', (dialect) => {
  let w: World;
  let operations: string[];

  beforeAll(async () => {
    w = await buildWorld(dialect);
    const spec = (await w.t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    operations = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'put', 'post', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
  }, 120_000);
  afterAll(async () => w?.t.close());

  it('covers every operation of the OpenAPI document that has an id in its path', () => {
    const withIds = operations.filter((op) => op.includes('{'));
    const uncovered = withIds.filter((op) => !(op in CASES) && !(op in NOT_TENANT_RESOURCES));
    expect(uncovered, 'operations with a path id that no cross-tenant case covers').toEqual([]);
    const stale = [...Object.keys(CASES), ...Object.keys(NOT_TENANT_RESOURCES)].filter(
      (op) => !operations.includes(op),
    );
    expect(stale, 'cases for operations the OpenAPI document no longer has').toEqual([]);
  });

  it("answers another tenant's id exactly as an unknown one and changes nothing", async () => {
    const before = await snapshot(w.t, w.b.id);
    const sentBefore = w.sent();
    let compared = 0;
    for (const [op, c] of Object.entries(CASES)) {
      const [method, template] = op.split(' ') as [Method, string];
      const own = c.params(w.a)[0] as Params;
      for (const theirs of c.params(w.b)) {
        const names = Object.keys(theirs);
        // Each id on its own (the others the caller's), then all of them foreign at once.
        const subsets = names.length > 1 ? [...names.map((n) => [n]), names] : [names];
        for (const subset of subsets) {
          const unknown = Object.fromEntries(subset.map((n) => [n, unknownLike(theirs[n] as string)]));
          const foreign = Object.fromEntries(subset.map((n) => [n, theirs[n] as string]));
          const request = (ids: Params) => {
            const params = { ...own, ...ids };
            let url = template.replace(/\{(\w+)\}/g, (_, n: string) =>
              encodeURIComponent(params[n] as string),
            );
            if (c.query) url += `?${c.query(w.a)}`;
            const token = c.auth === 'device' ? w.a.deviceToken : c.auth === 'none' ? undefined : w.a.admin;
            return w.t.app.inject({
              method,
              url,
              headers: token ? { authorization: `Bearer ${token}` } : {},
              ...(c.body ? { payload: c.body(w.a, w.b) as object } : {}),
            });
          };
          const label = `${op} with ${JSON.stringify(foreign)}`;
          const asForeign = answer(await request(foreign), Object.values(foreign));
          const asUnknown = answer(await request(unknown), Object.values(unknown));
          expect(asForeign.status, `${label}: ${JSON.stringify(asForeign.body)}`).toBe(c.status);
          expect(asForeign, label).toEqual(asUnknown);
          expect(await snapshot(w.t, w.b.id), label).toEqual(before);
          compared += 1;
        }
      }
    }
    expect(w.sent(), 'no outbound call (ping, allocation test) for a foreign id').toBe(sentBefore);
    expect(compared).toBeGreaterThan(Object.keys(CASES).length);
  }, 300_000);
});

import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRowCounts } from '../helpers/all-rows.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { type Operation, operationsOf } from '../helpers/openapi-inputs.js';
import { createFixtures, type Fixtures } from './bad-input-fixtures.js';
import { type Probe, probesFor } from './bad-input-variants.js';

// The bad-input suite: every operation of the OpenAPI document the app serves, with valid
// credentials and real ids, gets malformed input of every kind (bad-input-variants.ts). Each
// answer must be a 4xx with the JSON error body, within a deadline; afterwards no table has
// gained or lost a row (bar the records of failed attempts, helpers/all-rows.ts).

/** A request that takes longer than this is a hang. */
const DEADLINE_MS = 15_000;
const PARALLEL = 8;

/**
 * Probes that are no bad input for a route (it accepts them by design), with the reason; they
 * are not sent. Everything else must be refused.
 */
const VALID_FOR: Record<string, string[]> = {
  // mender-cli logs in with `Content-Type: application/json` and no body.
  'POST /api/management/v1/useradm/auth/login': ['empty JSON body'],
  // Magistrala's TypeScript SDK sends `Content-Type: application/json` and no body on DELETE
  // (test/e2e/magistrala-sdk.test.ts); Magistrala ignores it.
  'DELETE /bootstrap/{domainID}/clients/configs/{configID}': ['empty JSON body'],
  'DELETE /bootstrap/{domainID}/channels/{channelID}': ['empty JSON body'],
};

/** When such a probe gets a 400, it must be for this reason (a 413 or 415 may come first). */
const REASONS: [RegExp, RegExp][] = [
  [/^NUL /, /NUL/],
  [/^JSON nested/, /deeper than 32/],
  [/^invalid UTF-8 in a JSON body/, /UTF-8/],
  [/^(invalid UTF-8|a malformed escape) in (path|query)/, /percent-encoded UTF-8/],
];

const withDeadline = async (p: Promise<LightMyRequestResponse>, what: string) => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms: ${what}`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
};

describe.each(dialects())('bad input on every route of the OpenAPI document, on %s', (dialect) => {
  let t: TestServer;
  let fx: Fixtures;
  let ops: Operation[];

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: { webhookAllowPrivateTargets: 'true' } });
    fx = await createFixtures(t);
    const doc = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(doc.statusCode).toBe(200);
    // Operations that end a session or delete something go last: should a probe ever get through
    // one, the others still run with good credentials and resources.
    const destructive = (op: Operation) => op.method === 'DELETE' || op.path.endsWith('/logout');
    ops = operationsOf(doc.json()).sort((a, b) => Number(destructive(a)) - Number(destructive(b)));
  }, 120_000);
  afterAll(async () => t?.close());

  it('knows how to reach every operation (credentials, ids in the path)', () => {
    expect(ops.length).toBeGreaterThan(100);
    const unknown: string[] = [];
    for (const op of ops) {
      try {
        fx.headersFor(op);
        fx.pathFor(op);
      } catch (e) {
        unknown.push((e as Error).message);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('refuses every malformed request with a JSON 4xx, never hangs, and stores nothing', async () => {
    const before = await allRowCounts(t.gh);
    const failures: string[] = [];
    const exercised = new Set<string>();
    const counts = { probes: 0, byStatus: {} as Record<number, number> };
    const check = async (op: Operation, probe: Probe) => {
      const what = `${op.key} with ${probe.variant}`;
      const res = await withDeadline(t.app.inject(probe.req), what);
      counts.probes += 1;
      counts.byStatus[res.statusCode] = (counts.byStatus[res.statusCode] ?? 0) + 1;
      exercised.add(op.key);
      if (process.env.BAD_INPUT_TRACE) console.log(res.statusCode, what);
      if (res.statusCode < 400 || res.statusCode >= 500) {
        failures.push(`${what}: ${res.statusCode} ${res.body.slice(0, 160)}`);
        return;
      }
      const body = (() => {
        try {
          return res.json() as { error?: unknown; request_id?: unknown };
        } catch {
          return {};
        }
      })();
      if (typeof body.error !== 'string' || typeof body.request_id !== 'string') {
        failures.push(`${what}: ${res.statusCode} without the JSON error body: ${res.body.slice(0, 160)}`);
        return;
      }
      const reason = REASONS.find(([variant]) => variant.test(probe.variant))?.[1];
      if (reason && res.statusCode === 400 && !reason.test(body.error))
        failures.push(`${what}: 400 for another reason: ${body.error}`);
    };
    for (const op of ops) {
      const probes: Probe[] = probesFor(op, fx).filter((p) => !VALID_FOR[op.key]?.includes(p.variant));
      // A few at a time (one operation at a time, destructive ones last): every probe is refused,
      // so their order within an operation does not matter.
      for (let i = 0; i < probes.length; i += PARALLEL)
        await Promise.all(probes.slice(i, i + PARALLEL).map((probe) => check(op, probe)));
    }
    console.log(
      `bad-input suite on ${dialect}: ${counts.probes} probes over ${exercised.size} operations`,
      counts.byStatus,
    );
    expect(failures).toEqual([]);
    // Every operation of the document got malformed input (the path/query/header probes reach GETs too).
    expect(ops.filter((op) => !exercised.has(op.key)).map((op) => op.key)).toEqual([]);
    expect(await allRowCounts(t.gh)).toEqual(before);
    // Refusals for the right reason: the probes' credentials are still good at the end.
    expect(await fx.credentialsWork()).toBe(true);
  }, 300_000);
});

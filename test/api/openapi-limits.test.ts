import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { operationsOf, type Schema } from '../helpers/openapi-inputs.js';

// Every input has a bound in its schema, so that the validator refuses an oversized value before
// any handler sees it: strings a maxLength (or a fixed set of values), arrays a maxItems, and
// objects with free keys a maxProperties. The body limit and the depth limit bound the rest.

/** Inputs whose bounds live outside the schema, with the reason. */
const BOUNDED_ELSEWHERE: Record<string, string> = {
  // The signed auth request is parsed from its raw bytes (64 KiB at most, auth-request.ts bounds
  // each field); its schema only documents the body.
  'POST /api/devices/v1/authentication/auth_requests': 'raw body, checked in auth-request.ts',
};

const unbounded = (schema: Schema, at: string, out: string[], depth = 0): void => {
  if (depth > 12) return;
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
    unbounded(branch, at, out, depth + 1);
  const types = [schema.type ?? []].flat();
  if (
    types.includes('string') &&
    schema.maxLength === undefined &&
    !schema.enum &&
    schema.const === undefined
  )
    out.push(`${at}: string without maxLength`);
  if (types.includes('array')) {
    if (schema.maxItems === undefined) out.push(`${at}: array without maxItems`);
    if (schema.items) unbounded(schema.items, `${at}[]`, out, depth + 1);
  }
  const freeKeys =
    schema.additionalProperties === true ||
    typeof schema.additionalProperties === 'object' ||
    schema.patternProperties !== undefined;
  if (freeKeys && (schema as { maxProperties?: number }).maxProperties === undefined)
    out.push(`${at}: object with free keys without maxProperties`);
  for (const [name, p] of Object.entries(schema.properties ?? {}))
    unbounded(p, `${at}.${name}`, out, depth + 1);
  if (typeof schema.additionalProperties === 'object')
    unbounded(schema.additionalProperties, `${at}{*}`, out, depth + 1);
  for (const p of Object.values(schema.patternProperties ?? {})) unbounded(p, `${at}{*}`, out, depth + 1);
};

describe('input bounds in the OpenAPI document', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestGatehouse('sqlite');
  });
  afterAll(async () => t?.close());

  it('bounds every string, array and free-form object a request can carry', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const problems: string[] = [];
    for (const op of operationsOf(doc)) {
      if (BOUNDED_ELSEWHERE[op.key]) continue;
      for (const p of op.parameters) unbounded(p.schema ?? {}, `${op.key} ${p.in} ${p.name}`, problems);
      if (op.body) unbounded(op.body, `${op.key} body`, problems);
    }
    expect(problems).toEqual([]);
  });
});

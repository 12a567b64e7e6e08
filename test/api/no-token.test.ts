import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeFor, routesOf } from '../../scripts/mender-openapi-table.js';
import { loadMenderDocument } from '../compat/mender-openapi.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { type Operation, operationsOf } from '../helpers/openapi-inputs.js';

// Every route that needs a token answers 401 without one, with the JSON error body (Mender's
// integration suite checks exactly this). The routes come from the app's own route table (its
// OpenAPI document): every route documented as bearer-authenticated, every route under
// /api/management/ and /api/devices/ but the few listed below, and, by the document's own path,
// every operation of Mender's published document that one of those routes serves.

/** Routes under Mender's prefixes that authenticate otherwise, with how. */
const NO_BEARER_TOKEN: Record<string, string> = {
  'POST /api/devices/v1/authentication/auth_requests':
    'the device signs its request (Mender declares a device token here, which the device cannot have yet)',
  'POST /api/management/v1/useradm/auth/login': 'HTTP Basic credentials',
  'GET /api/devices/v1/deployments/download/artifacts/{id}': 'a signed, expiring link',
  'GET /api/devices/v1/pki/client-certificate': 'a client certificate (mTLS, or from a trusted proxy)',
};

const UUID = '0b8e5a39-2b4c-4d8e-9a31-7c3f8d1e2a40';

const needsToken = (op: Operation) =>
  !NO_BEARER_TOKEN[op.key] && (op.bearer || /^\/api\/(management|devices)\//.test(op.path));

/** A request to one path: the app's route, or an operation of Mender's document it serves. */
interface Target {
  what: string;
  method: string;
  path: string;
}

describe.each(dialects())('routes that need a token, without one, on %s', (dialect) => {
  let t: TestServer;
  let ops: Operation[];
  const targets: Target[] = [];

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    const doc = await t.app.inject({ method: 'GET', url: '/api/openapi.json' });
    ops = operationsOf(doc.json());
    for (const op of ops.filter(needsToken)) targets.push({ what: op.key, method: op.method, path: op.path });
    // Mender's document names some of these by other paths (`/users/me` for `/users/{id}`,
    // `/limits/max_devices` for `/limits/{name}`): each operation it marks as needing a token is
    // sent by its own path too.
    const mender = loadMenderDocument();
    if (mender) {
      const routes = routesOf(doc.json() as { paths: Record<string, Record<string, unknown>> });
      for (const op of mender.operations) {
        const route = routeFor(routes, op);
        if (route && !NO_BEARER_TOKEN[`${route.method} ${route.path}`])
          targets.push({ what: `${op.key} (Mender's document)`, method: op.method, path: op.path });
      }
    }
  });
  afterAll(async () => t?.close());

  const requestFor = (target: Target, authorization?: string): InjectOptions => {
    const withBody = ['POST', 'PUT', 'PATCH'].includes(target.method);
    return {
      method: target.method as InjectOptions['method'],
      url: target.path.replace(/\{[^}]+\}/g, UUID),
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(withBody ? { 'content-type': 'application/json' } : {}),
      },
      ...(withBody ? { payload: '{}' } : {}),
    };
  };

  it('the routes without a bearer token are the listed ones', () => {
    const open = ops
      .filter((op) => /^\/api\/(management|devices)\//.test(op.path) && !op.bearer)
      .map((op) => op.key)
      .sort();
    expect(open).toEqual(Object.keys(NO_BEARER_TOKEN).sort());
  });

  it.each([
    ['no Authorization header', undefined],
    ['an empty bearer token', 'Bearer '],
    ['a token that is no JWT', 'Bearer not-a-token'],
    ['Basic credentials', `Basic ${Buffer.from('admin@example.com:secret').toString('base64')}`],
  ])('answers 401 with the JSON error body to %s', async (_what, authorization) => {
    expect(targets.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const target of targets) {
      const res = await t.app.inject(requestFor(target, authorization));
      const body = (() => {
        try {
          return res.json() as { error?: unknown; request_id?: unknown };
        } catch {
          return {};
        }
      })();
      if (res.statusCode !== 401 || typeof body.error !== 'string' || typeof body.request_id !== 'string')
        wrong.push(`${target.what}: ${res.statusCode} ${res.body.slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
  });
});

import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  createResponseChecker,
  loadMenderDocument,
  type MenderDocument,
  operationForRequest,
} from '../compat/mender-openapi.js';
import { acceptedDifference } from '../compat/mender-openapi-differences.js';
import { recordContractViolation } from './mender-contract-violations.js';

/**
 * The contract recorder: every answer a test Gatehouse gives on a route that is an operation of
 * Mender's published OpenAPI document is checked against it (status declared, JSON body fits the
 * schema). What does not fit, and is not a listed difference (compat/mender-openapi-differences.ts),
 * is collected here; the setup file (mender-contract-setup.ts) fails the test that caused it.
 */

let checker: { doc: MenderDocument; check: ReturnType<typeof createResponseChecker> } | null | undefined;

const checkerOf = () => {
  if (checker === undefined) {
    const doc = loadMenderDocument();
    checker = doc ? { doc, check: createResponseChecker(doc) } : null;
  }
  return checker ?? undefined;
};

const bodyText = (payload: unknown): string | undefined => {
  if (payload === null || payload === undefined) return '';
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  return undefined; // a stream: downloads and event streams, not JSON documents
};

/** An `observeResponse` hook (AppOptions) that records contract violations. */
export const recordMenderContract = (req: FastifyRequest, reply: FastifyReply, payload: unknown): void => {
  // Only answers of a route Gatehouse has: a 404 for a path it does not serve is no answer of it.
  if (!req.routeOptions.url) return;
  const c = checkerOf();
  if (!c) return;
  const urlPath = req.url.split('?')[0] ?? req.url;
  const op = operationForRequest(c.doc, req.method, urlPath);
  if (!op) return;
  const body = bodyText(payload);
  if (body === undefined) return;
  const contentType = reply.getHeader('content-type');
  const status = reply.statusCode;
  const found = c.check(op, status, typeof contentType === 'string' ? contentType : undefined, body);
  const violations = found.filter((v) => !acceptedDifference(v));
  if (violations.length === 0) return;
  recordContractViolation(
    `${req.method} ${req.url} → ${status} (operation ${op.key}):\n` +
      violations.map((v) => `    ${v.kind}: ${v.detail}`).join('\n') +
      `\n    body: ${body.slice(0, 300)}`,
  );
};

export { takeContractViolations } from './mender-contract-violations.js';

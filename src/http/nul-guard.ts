import { Readable } from 'node:stream';
import { commonErrors } from '../core/errors.js';
import { containsNul, NUL_MESSAGE } from '../core/json-limits.js';
import type { App } from './types.js';

/** The 400 for a NUL anywhere in a request (the same words on every route). */
export const nulRefused = () => commonErrors.badRequest(`invalid request: ${NUL_MESSAGE}`);

const badUrl = () => commonErrors.badRequest('invalid request: the URL is not valid percent-encoded UTF-8');

/**
 * A malformed escape (`%ZZ`, a lone `%`) or one that decodes to invalid UTF-8 (`%FF`). The router
 * refuses these in the path; the query parser would quietly keep or replace them.
 */
const badlyEncoded = (url: string): boolean => {
  if (!url.includes('%')) return false;
  try {
    decodeURIComponent(url);
    return false;
  } catch {
    return true;
  }
};

/** A body a route reads itself (a streamed manifest): checked where it is decoded, never walked here. */
const isStream = (body: unknown): boolean => body instanceof Readable;

const headersContainNul = (rawHeaders: string[]): boolean => {
  for (const h of rawHeaders) if (h.includes('\u0000')) return true;
  return false;
};

/**
 * Refuses, with a 400 on every route: U+0000 in the path, the query, a header value or the parsed
 * body, and a URL whose percent-escapes are malformed or not UTF-8. PostgreSQL text cannot store
 * U+0000 (error 22021, which would surface as a 500), and SQLite would store what PostgreSQL
 * refuses: one rule for both dialects. The body walk is exact at any depth (an explicit stack).
 * Raw bodies (signed auth requests, artifacts, CSRs, multipart fields) and values decoded from a
 * header (HTTP Basic) are checked where they are decoded.
 */
export const installNulGuard = (app: App): void => {
  // Callback style, no promise: this runs on every request, device polls included. A NUL in the
  // path or query can only arrive percent-encoded (HTTP forbids a raw one); Node's parser refuses
  // one in a header, but inject() and other transports do not go through it.
  app.addHook('preValidation', (req, reply, done) => {
    const url = req.raw.url ?? '';
    const problem =
      url.includes('%00') ||
      headersContainNul(req.raw.rawHeaders) ||
      (typeof req.body === 'object' && !isStream(req.body) && containsNul(req.body))
        ? nulRefused()
        : badlyEncoded(url)
          ? badUrl()
          : undefined;
    if (problem) {
      reply.code(400).send({ error: problem.publicMessage, request_id: req.id });
      return;
    }
    done();
  });
};

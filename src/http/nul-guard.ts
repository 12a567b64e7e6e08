import type { App } from './types.js';

const MAX_DEPTH = 64;

/** Whether any string (or object key) in a parsed JSON value contains U+0000. */
export const containsNul = (v: unknown, depth = 0): boolean => {
  if (typeof v === 'string') return v.includes('\u0000');
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) return v.some((x) => containsNul(x, depth + 1));
  if (Buffer.isBuffer(v)) return false;
  for (const [k, x] of Object.entries(v)) {
    if (k.includes('\u0000') || containsNul(x, depth + 1)) return true;
  }
  return false;
};

/**
 * Refuses U+0000 in path parameters, query strings and JSON bodies with a 400, on every route.
 * PostgreSQL text cannot store it (error 22021, which would surface as a 500), and SQLite would
 * store what PostgreSQL refuses: one rule for both dialects. Raw bodies (signed auth requests,
 * artifacts, CSRs) are left to their routes, which encode what they store.
 */
export const installNulGuard = (app: App): void => {
  // Callback style, no promise: this runs on every request, device polls included. A NUL in the
  // path or query can only arrive percent-encoded (HTTP forbids a raw one).
  app.addHook('preValidation', (req, reply, done) => {
    if ((req.raw.url ?? '').includes('%00') || (typeof req.body === 'object' && containsNul(req.body))) {
      reply
        .code(400)
        .send({ error: 'invalid request: strings must not contain NUL (U+0000)', request_id: req.id });
      return;
    }
    done();
  });
};

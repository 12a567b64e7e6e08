import { isUtf8 } from 'node:buffer';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import { DEPTH_MESSAGE, isJsonTooDeep } from '../core/json-limits.js';
import type { App } from './types.js';

type Done = (err: Error | null, body?: unknown) => void;
type JsonParser = (req: FastifyRequest, body: string, done: Done) => void;

const invalidBody = (message: string) => new AppError('BAD_REQUEST', 400, message);

/**
 * The checks every JSON body passes before it is parsed: valid UTF-8 (JSON's only encoding; a
 * lossy U+FFFD substitution would store something the client did not send) and no nesting beyond
 * MAX_JSON_DEPTH, measured without recursion. Returns the problem, or undefined.
 */
export const jsonBodyProblem = (body: Buffer): AppError | undefined => {
  if (!isUtf8(body)) return invalidBody('invalid request: body is not valid UTF-8');
  if (isJsonTooDeep(body)) return invalidBody(`invalid request: ${DEPTH_MESSAGE}`);
  return undefined;
};

/**
 * A JSON content-type parser with those checks in front of Fastify's own (which keeps its
 * prototype-poisoning protection and its error codes). `allowEmpty`: an empty or blank body is
 * `{}` (mender-cli's login sends `Content-Type: application/json` with no body).
 * `emptyDeleteIsNoBody`: an empty body of a DELETE is no body (Magistrala's routes: Go ignores it,
 * and Magistrala's TypeScript SDK sends `Content-Type: application/json` on every call, DELETE too).
 */
export const limitedJsonParser =
  (fastifyParser: JsonParser, opts: { allowEmpty?: boolean; emptyDeleteIsNoBody?: boolean } = {}) =>
  (req: FastifyRequest, body: Buffer, done: Done): void => {
    const problem = jsonBodyProblem(body);
    if (problem) {
      done(problem, undefined);
      return;
    }
    if (opts.emptyDeleteIsNoBody && req.method === 'DELETE' && body.length === 0) {
      done(null, undefined);
      return;
    }
    const text = body.toString('utf8');
    if (opts.allowEmpty && text.trim() === '') done(null, {});
    else fastifyParser(req, text, done);
  };

/**
 * Replaces the application/json parser of `app` (and the plugins registered in it afterwards)
 * with the limited one. The size limit stays Fastify's: the route's bodyLimit, else the server's.
 */
export const installJsonBodyParser = (
  app: App,
  opts: { allowEmpty?: boolean; emptyDeleteIsNoBody?: boolean; bodyLimit?: number } = {},
): void => {
  const fastifyParser = app.getDefaultJsonParser('error', 'error') as unknown as JsonParser;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}) },
    limitedJsonParser(fastifyParser, opts) as never,
  );
};

import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type AppError, commonErrors, isAppError } from '../core/errors.js';
import { isConcurrencyConflict } from '../store/conflicts.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';
import type { App } from './types.js';

export const CONFLICT_MESSAGE = 'the request conflicts with a concurrent change, retry it';

/**
 * The one place errors become responses. AppErrors render as {"error", "request_id"} (plus any
 * extra body fields the error carries); Fastify's own 4xx (bad JSON, body too large, wrong
 * content type, schema validation) keep their status with a readable message; a database that does
 * not answer is a 503 with Retry-After on every route, never a 401/404 because a lookup failed
 * (docs/principles.md#faults-are-named-never-hidden); anything else is a generic 500 whose detail
 * only goes to the log.
 */
const UNAVAILABLE = commonErrors.unavailable().code;

export const installErrorHandling = (
  app: App,
  opts: {
    /** Asked first for a request no route took; true when it answered (the console's page fallback). */
    notFound?: (req: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
  } = {},
): void => {
  app.setErrorHandler((thrown: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    let err: FastifyError | AppError = thrown;
    if (!isAppError(err) && isDatabaseUnavailable(err)) {
      err = commonErrors.unavailable('database unavailable', err);
    }
    if (isAppError(err)) {
      if (err.code === UNAVAILABLE) {
        // One line per request, without a stack: an outage is not a bug, and it can be long.
        const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
        req.log.warn({ detail: err.detail, code: cause?.code, cause: cause?.message }, 'service unavailable');
      } else if (err.status >= 500) req.log.error({ err }, 'request failed');
      else if (err.detail) req.log.info({ code: err.code, detail: err.detail }, err.publicMessage);
      if (err.headers) reply.headers(err.headers);
      return reply
        .code(err.status)
        .send({ ...(err.body ?? {}), error: err.publicMessage, request_id: req.id });
    }
    // A constraint the use case did not map (or a deadlock it did not retry): the request lost a
    // race against another one, which is a conflict for the client to retry, not a server fault.
    if (isConcurrencyConflict(err)) {
      req.log.warn({ err }, 'unmapped concurrency conflict');
      return reply.code(409).send({ error: CONFLICT_MESSAGE, request_id: req.id });
    }
    if (err.validation) {
      return reply
        .code(400)
        .send({ error: `invalid request: ${describeValidation(err)}`, request_id: req.id });
    }
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply.code(status).send({ error: fastifyMessage(err), request_id: req.id });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: 'internal error', request_id: req.id });
  });

  app.setNotFoundHandler(async (req, reply) => {
    if (opts.notFound && (await opts.notFound(req, reply))) return reply;
    return reply.code(404).send({ error: 'not found', request_id: req.id });
  });
};

/**
 * Errors Fastify raises before a route is found (a path that is not valid percent-encoded UTF-8,
 * a path parameter over the router's length limit): the same JSON body as every other error.
 */
export const frameworkErrorHandler = (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const error =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'invalid request: a path segment is too long'
      : err.code === 'FST_ERR_BAD_URL'
        ? 'invalid request: the URL is not valid percent-encoded UTF-8'
        : fastifyMessage(err);
  return reply.code(status).header('X-MEN-RequestID', req.id).send({ error, request_id: req.id });
};

/**
 * A request Node's HTTP parser refuses before Fastify sees it (a raw NUL or byte ≥ 0x80 in the
 * request line, a NUL in a header, headers over the size limit, a malformed message): Fastify's
 * default answer, in the JSON error shape and with a request id of its own for the log.
 */
export function clientErrorHandler(
  this: { log: { trace(o: object, m: string): void } },
  err: NodeJS.ErrnoException,
  socket: Duplex,
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, error] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'request timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request headers too large']
        : [400, 'Bad Request', 'malformed HTTP request'];
  const id = randomUUID();
  this.log.trace({ err, reqId: id }, 'client error');
  const body = JSON.stringify({ error, request_id: id });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nX-MEN-RequestID: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

const describeValidation = (err: FastifyError): string => {
  const first = err.validation?.[0];
  if (!first) return err.message;
  const where = err.validationContext ?? 'request';
  const path = first.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '';
  const missing = (first.params as { missingProperty?: string } | undefined)?.missingProperty;
  const field = missing ?? path;
  return `${where}${field ? `.${field}` : ''} ${first.message ?? 'is invalid'}`;
};

const fastifyMessage = (err: FastifyError): string => {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return "Bad Content-Type, expected 'application/json'";
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'malformed JSON body';
    default:
      return err.message.length > 200 ? `${err.message.slice(0, 200)}...` : err.message;
  }
};

/**
 * The one error type of Gatehouse. Every failure a caller can act on is an AppError with a
 * stable code, an HTTP status and a public message; `detail` is private and only logged.
 * Anything else that escapes a route is rendered as a generic 500 by the error handler.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly publicMessage: string;
  readonly detail: string | undefined;
  /** Extra fields merged into the JSON error body (e.g. the conflicting device on a 409). */
  readonly body: Record<string, unknown> | undefined;
  /** Extra response headers (e.g. Retry-After). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: string,
    status: number,
    publicMessage: string,
    options: {
      detail?: string;
      cause?: unknown;
      body?: Record<string, unknown>;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(`${code}: ${publicMessage}${options.detail ? ` (${options.detail})` : ''}`, {
      cause: options.cause,
    });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.publicMessage = publicMessage;
    this.detail = options.detail;
    this.body = options.body;
    this.headers = options.headers;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Errors shared by every domain; domain-specific ones live in `<domain>-errors.ts`. */
export const commonErrors = {
  badRequest: (message: string, detail?: string) =>
    new AppError('BAD_REQUEST', 400, message, detail ? { detail } : {}),
  unauthorized: (message = 'unauthorized', detail?: string) =>
    new AppError('UNAUTHORIZED', 401, message, detail ? { detail } : {}),
  forbidden: (message = 'forbidden') => new AppError('FORBIDDEN', 403, message),
  notFound: (what = 'not found') => new AppError('NOT_FOUND', 404, what),
  conflict: (message: string, body?: Record<string, unknown>) =>
    new AppError('CONFLICT', 409, message, body ? { body } : {}),
  unprocessable: (message: string) => new AppError('UNPROCESSABLE', 422, message),
  /** A limit was hit: 429 with Retry-After (whole seconds, at least 1). */
  tooManyRequests: (code: string, message: string, retryAfterSeconds: number, detail?: string) =>
    new AppError(code, 429, message, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
      ...(detail ? { detail } : {}),
    }),
  /** The database (or another dependency) does not answer: 503 with Retry-After, never 401/404. */
  unavailable: (detail?: string, cause?: unknown, retryAfterSeconds = 5) =>
    new AppError('SERVICE_UNAVAILABLE', 503, 'service temporarily unavailable, retry later', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      ...(detail ? { detail } : {}),
      cause,
    }),
};

/**
 * For adapters between domains that ask "does X exist?" through a getter that throws when it
 * does not: true when found, false only on a genuine 404; anything else (a database that does
 * not answer, a bug) propagates unchanged, so it is never mistaken for "not found".
 */
export const existsBy = (lookup: Promise<unknown>): Promise<boolean> =>
  lookup.then(
    () => true,
    (e: unknown) => {
      if (isAppError(e) && e.status === 404) return false;
      throw e;
    },
  );

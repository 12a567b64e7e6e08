/**
 * Which driver errors mean "the database does not answer (now)" rather than "this query is wrong".
 * The first kind becomes a 503 with Retry-After (src/http/error-handler.ts), never a 401/404 and
 * never a 500: the client did nothing wrong and should come back. Everything else stays what it
 * is (a constraint violation is mapped by its service; an unknown error is a 500).
 */

/** Socket errors of the connection to PostgreSQL (Node's `net` codes). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * node-postgres and pg-pool report a lost or unobtainable connection with plain Errors and no
 * code; these are their messages (pg 8). Matched at the start of the message only.
 */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated', // "... unexpectedly", "... due to connection timeout"
  'timeout exceeded when trying to connect', // pool: no connection within connectionTimeoutMillis
  'timeout expired', // client: connect did not finish within connectionTimeoutMillis
  'Query read timeout', // client: no answer within query_timeout
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Postgres connection has been discarded', // Kysely, after a failed rollback
];

/**
 * PostgreSQL SQLSTATEs of an unavailable server (appendix A of its manual): class 08 (connection
 * exception), 53 (insufficient resources: too many connections, disk full, out of memory), 57P0x
 * (shutdown, crash, still starting), 57014 (statement_timeout), 55P03 (lock_timeout), 58 (I/O).
 */
const isUnavailableSqlState = (code: string): boolean =>
  /^[0-9A-Z]{5}$/.test(code) &&
  (code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('57P0') ||
    code === '57014' ||
    code === '55P03' ||
    code.startsWith('58'));

/**
 * SQLite result codes (better-sqlite3's `code`, extended codes included) of a database that is
 * locked by another process past the busy timeout, or whose file cannot be read or written.
 */
const isUnavailableSqliteCode = (code: string): boolean =>
  code === 'SQLITE_BUSY' ||
  code.startsWith('SQLITE_BUSY_') ||
  code === 'SQLITE_LOCKED' ||
  code.startsWith('SQLITE_LOCKED_') ||
  code === 'SQLITE_IOERR' ||
  code.startsWith('SQLITE_IOERR_') ||
  code === 'SQLITE_FULL' ||
  code === 'SQLITE_CANTOPEN' ||
  code.startsWith('SQLITE_CANTOPEN_') ||
  code === 'SQLITE_PROTOCOL';

const classify = (e: unknown, depth: number): boolean => {
  if (typeof e !== 'object' || e === null || depth > 4) return false;
  const err = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  if (code !== '') {
    if (NETWORK_CODES.has(code) || isUnavailableSqlState(code) || isUnavailableSqliteCode(code)) return true;
  }
  const message = typeof err.message === 'string' ? err.message : '';
  if (PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m))) return true;
  // A failed connect to a host with several addresses (localhost: ::1 and 127.0.0.1).
  if (Array.isArray(err.errors) && err.errors.length > 0 && err.errors.every((x) => classify(x, depth + 1)))
    return true;
  return classify(err.cause, depth + 1);
};

/** The database (or the way to it) is unavailable: answer 503 and let the client retry. */
export const isDatabaseUnavailable = (e: unknown): boolean => classify(e, 0);

/**
 * The connection itself is lost or stuck (not merely a statement the server cancelled): a pooled
 * PostgreSQL client that saw this must be dropped, not handed to the next request.
 */
export const isConnectionBroken = (e: unknown): boolean => {
  if (typeof e !== 'object' || e === null) return false;
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err.code === 'string' && (NETWORK_CODES.has(err.code) || err.code.startsWith('08'))) return true;
  const message = typeof err.message === 'string' ? err.message : '';
  return PG_CONNECTION_MESSAGES.some((m) => message.startsWith(m));
};

import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { isConnectionBroken } from './db-errors.js';

/** What the server gets to finish a statement it cancels itself before the client gives up. */
const CLIENT_GRACE_MS = 2000;

export interface PostgresPoolOptions {
  connectionString: string;
  max: number;
  /** Longest wait for a connection, new or pooled; undefined = no limit. */
  connectTimeoutMs: number | undefined;
  /** Statement timeout; undefined or 0 = none. */
  queryTimeoutMs: number | undefined;
  onIdleError: ((e: Error) => void) | undefined;
}

/**
 * The pool's error of a lost idle connection, without the client the pool attaches to it
 * (`err.client`): logged as it is, that client would write the backend's cancel key, its prepared
 * statements and its whole state into the log line.
 */
const withoutClient = (e: Error): Error => {
  const { client: _client, ...fields } = e as Error & { client?: unknown };
  return Object.assign(new Error(e.message), fields, { name: e.name, stack: e.stack });
};

/**
 * The PostgreSQL pool, with the bounds that keep a request from hanging when the database stops
 * answering, and the hygiene that lets the process recover by itself when it comes back:
 * - `connectionTimeoutMillis` bounds both opening a connection and waiting for a free one;
 * - `statement_timeout` makes the server cancel a long statement (the connection stays usable);
 *   `query_timeout` (a little later) makes the client give up on a server that does not answer;
 * - TCP keep-alive, so a connection the network silently dropped is noticed;
 * - no parallel query (below);
 * - a client that saw its connection break (reset, terminated, read timeout) is discarded, not
 *   handed to the next request: node-postgres would otherwise return a client whose timed-out
 *   query is still outstanding to the pool, and every later query on it would wait behind it.
 * Broken idle clients are removed by the pool itself; new ones are opened on demand, so nothing
 * has to be restarted when the database returns. Named prepared statements (store.readRows) are
 * per connection in node-postgres and prepared again on a new one.
 */
export const createPostgresPool = (
  opts: PostgresPoolOptions,
): { pool: pg.Pool; kyselyPool: PostgresPool } => {
  const queryTimeoutMs = opts.queryTimeoutMs ?? 0;
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max,
    keepAlive: true,
    // No parallel plans for Gatehouse's sessions: every statement is a short, indexed one, and
    // PostgreSQL picks a parallel plan when it overestimates the rows of a range (it has no usable
    // statistics for the collated key expressions of migration 0012), whose worker start-up then
    // costs tens of milliseconds for a search that reads ten rows.
    options: '-c max_parallel_workers_per_gather=0',
    ...(opts.connectTimeoutMs ? { connectionTimeoutMillis: opts.connectTimeoutMs } : {}),
    ...(queryTimeoutMs > 0
      ? { statement_timeout: queryTimeoutMs, query_timeout: queryTimeoutMs + CLIENT_GRACE_MS }
      : {}),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (e) => opts.onIdleError?.(withoutClient(e)));

  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    let broken: unknown;
    // While checked out, a client whose connection drops between two queries (a transaction
    // waiting on hashing, say) emits 'error' with nobody listening, which would end the process.
    client.on('error', (e) => {
      broken ??= e;
    });
    const query = async (sql: string, parameters: readonly unknown[]) => {
      // A transaction on a broken connection fails at once (its rollback included), instead of
      // waiting for another timeout.
      if (broken) throw broken;
      try {
        return await client.query(sql, parameters as unknown[]);
      } catch (e) {
        if (isConnectionBroken(e)) broken = e;
        throw e;
      }
    };
    return {
      query: query as unknown as PostgresPoolClient['query'],
      release: (destroy?: boolean) => {
        // Once released with `true`, node-postgres ends the client: this wrapper is never reused.
        client.release(destroy === true || broken !== undefined ? true : undefined);
      },
    };
  };

  return {
    pool,
    kyselyPool: {
      async connect() {
        const client = await pool.connect();
        let w = wrappers.get(client);
        if (!w) {
          w = wrap(client);
          wrappers.set(client, w);
        }
        return w;
      },
      end: () => pool.end(),
    },
  };
};

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, type Transaction } from 'kysely';
import { createPostgresPool } from './pg-pool.js';
import type { Database } from './schema.js';
import { createSqliteDialect } from './sqlite-dialect.js';

export type Dialect = 'sqlite' | 'postgres';
/**
 * Where Store.readRows runs a statement on SQLite (PostgreSQL: a named prepared statement on the
 * pool either way). `reader`: a second, read-only connection, for paths that only read (device
 * polling); it never waits behind a write. `writer`: the main connection, queued behind open
 * transactions like every Kysely query, for paths that write on most requests (bootstrap: each
 * fetch records an event): a write by one connection empties the page cache of the other, so
 * reads on the second connection would start cold every time.
 */
export type ReadConnection = 'reader' | 'writer';
export type Db = Kysely<Database>;
/** What repositories take first: the database or an open transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Where the data is, for log lines (no credentials). */
  readonly description: string;
  /**
   * Runs one compiled read-only statement outside Kysely's query builder, on the hot paths of
   * devices (see prepared.ts, the one way to use it): SQLite statements are prepared once per
   * connection (ReadConnection; both see committed data only, never another request's open
   * transaction); PostgreSQL reads use named prepared statements.
   */
  readRows(sql: string, parameters: readonly unknown[], connection?: ReadConnection): Promise<unknown[]>;
  /** One trivial round trip (readiness): resolves when the database answers, else throws. */
  ping(): Promise<void>;
  destroy(): Promise<void>;
}

export interface OpenStoreOptions {
  databaseUrl: string;
  poolSize?: number;
  /** PostgreSQL: longest wait for a connection (new or pooled); undefined = no limit. */
  connectTimeoutMs?: number;
  /** PostgreSQL: statement timeout; undefined or 0 = no limit (migrations, CLI). */
  queryTimeoutMs?: number;
  /** SQLite: busy timeout (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Told about connections lost while idle (the pool replaces them); nothing else is reported here. */
  onIdleError?: (e: Error) => void;
}

export const openStore = (opts: OpenStoreOptions): Store => {
  if (opts.databaseUrl.startsWith('sqlite:'))
    return openSqlite(opts.databaseUrl.slice('sqlite:'.length), opts.busyTimeoutMs ?? 5000);
  return openPostgres(opts);
};

const openSqlite = (file: string, busyTimeoutMs: number): Store => {
  const path = file === ':memory:' ? file : resolve(file);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // `timeout` is SQLite's busy timeout: a second process (the CLI next to a server) waits for the
  // write lock instead of failing at once; past it, SQLITE_BUSY is answered 503 (db-errors.ts).
  const sqlite = new BetterSqlite3(path, { timeout: busyTimeoutMs });
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: createSqliteDialect(sqlite) });
  const reader =
    path === ':memory:' ? sqlite : new BetterSqlite3(path, { readonly: true, timeout: busyTimeoutMs });
  // Prepared statements by SQL text, per connection: readRows runs only prepareQuery's texts, a
  // fixed set compiled once each.
  const statements = { reader: new Map<string, BetterSqlite3.Statement>(), writer: new Map() };
  const prepared = (connection: ReadConnection, sql: string): BetterSqlite3.Statement => {
    let stmt = statements[connection].get(sql);
    if (!stmt) {
      stmt = (connection === 'writer' ? sqlite : reader).prepare(sql);
      statements[connection].set(sql, stmt);
    }
    return stmt;
  };
  return {
    db,
    dialect: 'sqlite',
    description: `sqlite:${path}`,
    async readRows(sql, parameters, connection = 'reader') {
      // While a transaction is open on the main connection (another request's, between its
      // statements), a read there would see its uncommitted rows: queue behind it like every
      // Kysely query. Otherwise read at once, without Kysely's queue (a few µs per statement).
      if (connection === 'writer' && sqlite.inTransaction)
        return (await db.executeQuery(CompiledQuery.raw(sql, [...parameters]))).rows;
      return prepared(connection, sql).all(parameters as unknown[]);
    },
    async ping() {
      reader.prepare('select 1').get();
    },
    destroy: async () => {
      if (reader !== sqlite && reader.open) reader.close();
      await db.destroy();
    },
  };
};

const openPostgres = (opts: OpenStoreOptions): Store => {
  const url = opts.databaseUrl;
  const { pool, kyselyPool } = createPostgresPool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectTimeoutMs: opts.connectTimeoutMs,
    queryTimeoutMs: opts.queryTimeoutMs,
    onIdleError: opts.onIdleError,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: kyselyPool }) });
  const u = new URL(url);
  const names = new Map<string, string>();
  return {
    db,
    dialect: 'postgres',
    description: `postgres://${u.hostname}:${u.port || 5432}${u.pathname}`,
    async readRows(sql, parameters) {
      let name = names.get(sql);
      if (!name) {
        name = `gh_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
        names.set(sql, name);
      }
      return (await pool.query({ name, text: sql, values: parameters as unknown[] })).rows;
    },
    async ping() {
      await pool.query('select 1');
    },
    destroy: () => db.destroy(),
  };
};

/** PostgreSQL returns int8/count as strings; every mapper goes through this. */
export const num = (v: number | string | bigint): number => (typeof v === 'number' ? v : Number(v));
export const numOrNull = (v: number | string | bigint | null | undefined): number | null =>
  v === null || v === undefined ? null : num(v);

/** Unique-constraint violation on either dialect (23505 in PostgreSQL, SQLITE_CONSTRAINT_* in SQLite). */
export const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string } | null;
  return (
    err?.code === '23505' ||
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
};

/** Foreign-key violation on either dialect: the parent row vanished (e.g. a device decommissioned meanwhile). */
export const isForeignKeyViolation = (e: unknown): boolean => {
  const err = e as { code?: string } | null;
  return err?.code === '23503' || err?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
};

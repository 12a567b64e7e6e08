import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { createLru, NO_OPTIONS } from '../core/lru.js';

/**
 * Kysely dialect for better-sqlite3 with two differences from Kysely's own:
 * - transactions start with `BEGIN IMMEDIATE`, so a transaction takes the write lock up front.
 *   With a deferred BEGIN, two processes on one file (server + CLI) can both read and then fail
 *   with SQLITE_BUSY when upgrading to write; IMMEDIATE makes the second one wait instead.
 * - prepared statements are cached by SQL text (device polling repeats a handful of queries).
 */
export const createSqliteDialect = (database: BetterSqlite3.Database): Dialect => ({
  createAdapter: () => new TransactionalDdlSqliteAdapter(),
  createDriver: () => new ImmediateSqliteDriver(database),
  createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  createQueryCompiler: () => new SqliteQueryCompiler(),
});

/**
 * SQLite's DDL is transactional, but Kysely's adapter says otherwise, so its migrator would run
 * migrations statement by statement: a process killed in the middle of one (first start, upgrade)
 * left a half-created schema that the next start failed on ("table already exists") for ever.
 * With this, pending migrations run in one transaction (BEGIN IMMEDIATE: also one process at a
 * time), as on PostgreSQL. A migration must therefore not rely on `PRAGMA foreign_keys = OFF`,
 * which SQLite ignores inside a transaction.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

const STATEMENT_CACHE_SIZE = 500;

class ImmediateSqliteDriver implements Driver {
  readonly #connection: SqliteConnection;
  #lock: Promise<void> | undefined;
  #unlock: (() => void) | undefined;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.#connection = new SqliteConnection(db);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    // SQLite has a single connection per process; queue callers on it.
    while (this.#lock) await this.#lock;
    this.#lock = new Promise((resolve) => {
      this.#unlock = resolve;
    });
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const unlock = this.#unlock;
    this.#lock = undefined;
    this.#unlock = undefined;
    unlock?.();
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

class SqliteConnection implements DatabaseConnection {
  // Prepared statements by SQL text, the least recently used finalised by GC when evicted.
  readonly #statements = createLru<string, BetterSqlite3.Statement>(STATEMENT_CACHE_SIZE);

  constructor(private readonly db: BetterSqlite3.Database) {}

  #prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(sql, NO_OPTIONS);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt, NO_OPTIONS);
    }
    return stmt;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.#prepare(compiled.sql);
    const params = compiled.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(params);
    return {
      numAffectedRows: BigInt(changes),
      insertId: lastInsertRowid === undefined ? undefined : BigInt(lastInsertRowid),
      rows: [],
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not used by Gatehouse.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported on SQLite');
  }
}

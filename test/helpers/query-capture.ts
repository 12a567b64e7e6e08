import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import type { Database } from '../../src/store/schema.js';
import type { Dialect } from '../../src/store/store.js';

/**
 * The statements a repository function sends, compiled for a dialect but not run: a Kysely whose
 * driver records each query and answers with no rows (so `count` reads come back empty, and code
 * after them sees nothing). For EXPLAIN tests, which then explain the very SQL the code builds.
 */
export const captureQueries = async (
  dialect: Dialect,
  run: (db: Kysely<Database>) => Promise<unknown>,
): Promise<CompiledQuery[]> => {
  const captured: CompiledQuery[] = [];
  const connection: DatabaseConnection = {
    executeQuery: async (compiled) => {
      captured.push(compiled);
      return { rows: [] };
    },
    streamQuery: () => {
      throw new Error('not captured');
    },
  };
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => connection,
    beginTransaction: async () => {},
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  };
  const pg = dialect === 'postgres';
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => (pg ? new PostgresAdapter() : new SqliteAdapter()),
      createDriver: () => driver,
      createIntrospector: (k) => (pg ? new PostgresIntrospector(k) : new SqliteIntrospector(k)),
      createQueryCompiler: () => (pg ? new PostgresQueryCompiler() : new SqliteQueryCompiler()),
    },
  });
  await run(db).catch(() => {});
  return captured;
};

import { PostgresAdapter, type SelectQueryBuilder } from 'kysely';
import type { Dialect, Executor } from './store.js';

/**
 * The dialect differences repositories meet, answered from the executor they already hold (the
 * database or an open transaction), so no repository or service takes the Store just to ask
 * (docs/adr/0006-layout.md, "Storage").
 */

/** The dialect behind an executor, read from the Kysely adapter it was opened with. */
export const dialectOf = (ex: Executor): Dialect =>
  ex.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';

/**
 * Whether concurrent write transactions on this executor need locks (row or advisory) to
 * serialise. PostgreSQL (READ COMMITTED): yes, and a use case that must serialise on rows it may
 * have to create creates them first. SQLite: no, a write transaction holds the database's write
 * lock from its BEGIN IMMEDIATE, so writers run one at a time already.
 */
export const needsLocks = (ex: Executor): boolean => dialectOf(ex) === 'postgres';

/** Whether write transactions run one at a time anyway (SQLite), so running several at once gains nothing. */
export const writersSerialised = (ex: Executor): boolean => !needsLocks(ex);

/** PostgreSQL's row-lock strengths that Gatehouse takes. */
export type RowLock = 'update' | 'no key update' | 'share';

/**
 * Adds a row lock to a SELECT run in a transaction, as `q.$call(rowLock(tx, 'share'))`: `FOR
 * UPDATE`, `FOR NO KEY UPDATE` or `FOR SHARE` on PostgreSQL, nothing on SQLite (see needsLocks).
 */
export const rowLock =
  (ex: Executor, mode: RowLock) =>
  <DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> => {
    if (!needsLocks(ex)) return q;
    if (mode === 'update') return q.forUpdate();
    if (mode === 'no key update') return q.forNoKeyUpdate();
    return q.forShare();
  };

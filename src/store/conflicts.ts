import { sql } from 'kysely';
import { needsLocks } from './dialect.js';
import { type Executor, isForeignKeyViolation, isUniqueViolation } from './store.js';

/**
 * Concurrency outcomes the database reports, and how use cases live with them
 * (docs/adr/0013-database-invariants.md).
 *
 * Every invariant is a constraint; a use case checks it first (to answer with a precise 409) and
 * the constraint decides when two requests race past the check. On PostgreSQL (READ COMMITTED)
 * the loser gets a unique violation once the winner commits, and its transaction is aborted: no
 * further statement may run in it, so the violation is caught outside the transaction and the
 * whole transaction is run again. Its checks then see the winner's row and answer as if the
 * requests had come one after the other. SQLite transactions are serialised (BEGIN IMMEDIATE),
 * so there the checks already decide and the retry never runs.
 */

/** Deadlock (40P01) or serialization failure (40001): PostgreSQL asks for the transaction to be retried. */
export const isTransactionConflict = (e: unknown): boolean => {
  const code = (e as { code?: string } | null)?.code;
  return code === '40P01' || code === '40001';
};

/** Whether running the transaction again may give a different, correct answer. */
const isRetryable = (e: unknown): boolean => isUniqueViolation(e) || isTransactionConflict(e);

/** Runs of one transaction before its last unique violation is handed to the caller's mapping. */
export const CONFLICT_ATTEMPTS = 3;

/**
 * Runs `work` (which opens its own transaction) again when it lost a race the database refused.
 * Bounded: after CONFLICT_ATTEMPTS runs the last error is thrown for the caller to map to its
 * documented 409. `work` must do nothing outside its transaction that cannot be repeated.
 */
export const retryOnConflict = async <T>(work: () => Promise<T>): Promise<T> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (e) {
      if (attempt >= CONFLICT_ATTEMPTS || !isRetryable(e)) throw e;
    }
  }
};

/** Any constraint violation or transaction conflict: the request lost a race, not a server fault. */
export const isConcurrencyConflict = (e: unknown): boolean =>
  isUniqueViolation(e) || isForeignKeyViolation(e) || isTransactionConflict(e);

/**
 * Serialises the transactions that take the same key until they end (PostgreSQL advisory lock),
 * for invariants no index can hold, such as "at most N rows per tenant": the count and the
 * insert then run one transaction at a time. SQLite write transactions are serialised already.
 */
export const lockKey = async (tx: Executor, key: string): Promise<void> => {
  if (!needsLocks(tx)) return;
  await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(tx);
};

/** lockKey with a key of two 32-bit integers (a lock class and an object in it). */
export const lockKeyPair = async (tx: Executor, classId: number, objectId: number): Promise<void> => {
  if (!needsLocks(tx)) return;
  await sql`select pg_advisory_xact_lock(${classId}::int4, ${objectId}::int4)`.execute(tx);
};

/**
 * Lets this transaction's commit return before its WAL is flushed (PostgreSQL
 * `synchronous_commit = off`, for this transaction only). For work that is redone from its own
 * checkpoint when lost, such as the batches of a device import: a database crash can lose the
 * last such commits, always whole (the checkpoint with its rows), never part of one; the next
 * ordinary commit flushes them all. SQLite (WAL, synchronous=NORMAL) commits this way already.
 */
export const deferCommitFlush = async (tx: Executor): Promise<void> => {
  if (!needsLocks(tx)) return;
  await sql`set local synchronous_commit = off`.execute(tx);
};

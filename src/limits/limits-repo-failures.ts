import type { Selectable } from 'kysely';
import { needsLocks, rowLock } from '../store/dialect.js';
import { prepareQuery } from '../store/prepared.js';
import type { FailureCountersTable } from '../store/schema.js';
import { type Executor, num, numOrNull, type Store } from '../store/store.js';
import type { FailureState } from './failure-policy.js';

/** The `failure_counters` table: one row per key of a failure guard (failure-guard.ts). */

const toState = (r: Selectable<FailureCountersTable>): FailureState => ({
  failures: Number(r.failures),
  locks: Number(r.locks),
  lockedUntil: numOrNull(r.locked_until),
  lastFailureAt: num(r.last_failure_at),
});

/**
 * The counters of two keys, compiled once: it runs before every attempt's credentials are looked
 * at. On SQLite's main connection (`writer`): a failure writes, on the same connection.
 */
export const prepareCountersRead = (store: Store) => {
  const read = prepareQuery(
    store,
    (a: string, b: string) => store.db.selectFrom('failure_counters').selectAll().where('key', 'in', [a, b]),
    2,
    'writer',
  );
  return async (a: string, b: string): Promise<Map<string, FailureState>> =>
    new Map((await read(a, b)).map((r) => [r.key, toState(r)]));
};

/**
 * The counters of `keys` (sorted), locked until the transaction ends. PostgreSQL locks rows, so
 * missing ones are created first (empty: no failure, no lock), always in key order so that
 * concurrent failures cannot deadlock; SQLite transactions already hold the write lock (BEGIN
 * IMMEDIATE). Rows that hold no failure are left out of the answer, as if absent.
 */
export const lockCounters = async (
  tx: Executor,
  keys: readonly string[],
  nowMs: number,
): Promise<Map<string, FailureState>> => {
  if (needsLocks(tx)) {
    await tx
      .insertInto('failure_counters')
      .values(keys.map((key) => ({ key, failures: 0, locks: 0, locked_until: null, last_failure_at: nowMs })))
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
  }
  const rows = await tx
    .selectFrom('failure_counters')
    .selectAll()
    .where('key', 'in', keys)
    .orderBy('key')
    .$call(rowLock(tx, 'update'))
    .execute();
  const states = new Map<string, FailureState>();
  for (const r of rows) {
    const s = toState(r);
    if (s.failures !== 0 || s.locks !== 0 || s.lockedUntil !== null) states.set(r.key, s);
  }
  return states;
};

export const writeCounters = async (
  tx: Executor,
  states: ReadonlyMap<string, FailureState>,
): Promise<void> => {
  await tx
    .insertInto('failure_counters')
    .values(
      [...states].map(([key, s]) => ({
        key,
        failures: s.failures,
        locks: s.locks,
        locked_until: s.lockedUntil,
        last_failure_at: s.lastFailureAt,
      })),
    )
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({
        failures: eb.ref('excluded.failures'),
        locks: eb.ref('excluded.locks'),
        locked_until: eb.ref('excluded.locked_until'),
        last_failure_at: eb.ref('excluded.last_failure_at'),
      })),
    )
    .execute();
};

export const deleteCounter = async (tx: Executor, key: string): Promise<void> => {
  await tx.deleteFrom('failure_counters').where('key', '=', key).execute();
};

/** Deletes the scope's counters with no failure since `quietSinceMs` and no lock at `nowMs`. */
export const purgeCounters = async (
  db: Executor,
  scope: string,
  quietSinceMs: number,
  nowMs: number,
): Promise<void> => {
  await db
    .deleteFrom('failure_counters')
    .where('last_failure_at', '<', quietSinceMs)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', nowMs)]))
    .where('key', 'like', `${scope}:%`)
    .execute();
};

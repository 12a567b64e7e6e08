import { prepareQuery } from '../store/prepared.js';
import { type Executor, num, numOrNull, type Store } from '../store/store.js';
import { devicePathReader } from './bootstrap-repo-configs.js';

/**
 * Rate limiting of failed bootstrap attempts, per external id and per source address
 * (docs/adr/0008-bootstrap.md). State is in the database, so every process of a scaled-out
 * install sees the same counters. `maxFailures` failures in a row lock a key for `lockoutMs`,
 * doubling with each further lock up to `maxLockoutMs`; the failure that reaches the limit is
 * itself answered 429. A success clears the key; failures are forgotten after `forgetAfterMs`
 * without one. While locked, requests are refused before their credentials are looked at.
 */
export interface AttemptPolicy {
  /** 0 disables the limit. */
  maxFailures: number;
  lockoutMs: number;
  maxLockoutMs: number;
  forgetAfterMs: number;
}

export interface AttemptState {
  failures: number;
  locks: number;
  lockedUntil: number | null;
  lastFailureAt: number;
}

export const DAY_MS = 86_400_000;

/** The state after one more failure, and how long it locks the key (null: not locked). */
export const afterFailure = (
  prev: AttemptState | undefined,
  nowMs: number,
  policy: AttemptPolicy,
): { state: AttemptState; lockedForMs: number | null } => {
  const s =
    prev && nowMs - prev.lastFailureAt <= policy.forgetAfterMs
      ? prev
      : { failures: 0, locks: 0, lockedUntil: null, lastFailureAt: nowMs };
  const failures = s.failures + 1;
  if (policy.maxFailures > 0 && failures >= policy.maxFailures) {
    const locks = s.locks + 1;
    const lockedForMs = Math.min(policy.lockoutMs * 2 ** Math.min(locks - 1, 30), policy.maxLockoutMs);
    return {
      state: { failures: 0, locks, lockedUntil: nowMs + lockedForMs, lastFailureAt: nowMs },
      lockedForMs,
    };
  }
  return { state: { ...s, failures, lastFailureAt: nowMs }, lockedForMs: null };
};

/** Seconds until every given key is unlocked, or null when none is locked. */
export const retryAfterSeconds = (states: readonly AttemptState[], nowMs: number): number | null => {
  let until = 0;
  for (const s of states) if (s.lockedUntil !== null && s.lockedUntil > until) until = s.lockedUntil;
  return until > nowMs ? Math.max(1, Math.ceil((until - nowMs) / 1000)) : null;
};

type Row = {
  key: string;
  failures: number;
  locks: number;
  locked_until: number | string | null;
  last_failure_at: number | string;
};
const toState = (r: Row): AttemptState => ({
  failures: Number(r.failures),
  locks: Number(r.locks),
  lockedUntil: numOrNull(r.locked_until),
  lastFailureAt: num(r.last_failure_at),
});

/** The keys one attempt counts against: its external id and its source address. */
export type AttemptKeys = readonly [externalIdKey: string, addressKey: string];

export interface AttemptGuard {
  /** Retry-After seconds when a key is locked; `known` when any key has a record (to clear on success). */
  check(keys: AttemptKeys, nowMs: number): Promise<{ retryAfter: number | null; known: boolean }>;
  /** Counts a failure on every key; returns Retry-After seconds when this failure locked one. */
  recordFailure(tx: Executor, keys: AttemptKeys, nowMs: number): Promise<number | null>;
  recordSuccess(tx: Executor, keys: AttemptKeys): Promise<void>;
}

export const createAttemptGuard = (deps: { store: Store; policy: AttemptPolicy }): AttemptGuard => {
  const { store, policy } = deps;
  const read = prepareQuery(
    devicePathReader(store),
    (a: string, b: string) =>
      store.db.selectFrom('bootstrap_attempts').selectAll().where('key', 'in', [a, b]),
    2,
  );
  return {
    async check(keys, nowMs) {
      if (policy.maxFailures === 0) return { retryAfter: null, known: false };
      const rows = (await read(keys[0], keys[1])) as Row[];
      return { retryAfter: retryAfterSeconds(rows.map(toState), nowMs), known: rows.length > 0 };
    },
    async recordFailure(tx, keys, nowMs) {
      if (policy.maxFailures === 0) return null;
      let lockedForMs = 0;
      for (const key of [...new Set(keys)].sort()) {
        let q = tx.selectFrom('bootstrap_attempts').selectAll().where('key', '=', key);
        // SQLite transactions already hold the write lock (BEGIN IMMEDIATE); PostgreSQL locks the row.
        if (store.dialect === 'postgres') {
          await tx
            .insertInto('bootstrap_attempts')
            .values({ key, failures: 0, locks: 0, locked_until: null, last_failure_at: nowMs })
            .onConflict((oc) => oc.column('key').doNothing())
            .execute();
          q = q.forUpdate();
        }
        const row = await q.executeTakeFirst();
        const next = afterFailure(row ? toState(row) : undefined, nowMs, policy);
        const values = {
          failures: next.state.failures,
          locks: next.state.locks,
          locked_until: next.state.lockedUntil,
          last_failure_at: next.state.lastFailureAt,
        };
        await tx
          .insertInto('bootstrap_attempts')
          .values({ key, ...values })
          .onConflict((oc) => oc.column('key').doUpdateSet(values))
          .execute();
        if (next.lockedForMs !== null) lockedForMs = Math.max(lockedForMs, next.lockedForMs);
      }
      return lockedForMs > 0 ? Math.ceil(lockedForMs / 1000) : null;
    },
    async recordSuccess(tx, keys) {
      await tx
        .deleteFrom('bootstrap_attempts')
        .where('key', 'in', [...keys])
        .execute();
    },
  };
};

/**
 * Keyed by the external id alone, not by tenant: Magistrala's device route names no tenant, and
 * one counter across all protocols (plain, secure, v2) stops an attacker from switching between them.
 */
export const externalIdKey = (externalId: string): string => `eid:${externalId}`;
export const addressKey = (address: string): string => `addr:${address}`;

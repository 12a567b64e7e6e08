import { createHash } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { prepareQuery } from '../store/prepared.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num, numOrNull, type Store } from '../store/store.js';
import {
  afterFailure,
  type FailurePolicy,
  type FailureState,
  isLocked,
  retryAfterSeconds,
} from './failure-policy.js';
import { sourceKey } from './source-address.js';

/**
 * Counters of failed attempts in the database (`failure_counters`), so every process of a
 * scale-out install sees the same ones (docs/limits.md). One attempt counts against three keys:
 *
 * - the pair (subject at this source address): locks after a few failures; a success clears it.
 *   A stranger's failures at another address never touch the owner's pair.
 * - the source address alone: locks after many failures on any subjects (spraying); it only
 *   drains, a success does not clear it (else one valid credential would reset it).
 * - the subject alone (an account, an external id): never refuses anyone by itself. While it is
 *   locked (failures from many addresses: distributed guessing) the subject is "under attack",
 *   and one failure locks a pair: every address gets one guess per lock period, while the owner,
 *   who has the right secret, still gets in at the first try.
 *
 * While a pair or source is locked, attempts are refused before their credentials are looked at.
 */
export interface FailurePolicies {
  pair: FailurePolicy;
  source: FailurePolicy;
  subject: FailurePolicy;
}

export interface FailureKeys {
  readonly pair: string;
  readonly source: string;
  readonly subject: string;
}

export interface FailureGuard {
  /** The keys of an attempt on `subject` (an account, an external id) from `address`. */
  keys(subject: string, address: string | undefined): FailureKeys;
  /** Retry-After seconds when the pair or the source is locked; `known` when the pair has a record (to clear on success). */
  check(keys: FailureKeys, nowMs: number): Promise<{ retryAfter: number | null; known: boolean }>;
  /** Counts a failure on every key; returns Retry-After seconds when it locked the pair or the source. */
  recordFailure(tx: Executor, keys: FailureKeys, nowMs: number): Promise<number | null>;
  /** Clears the pair (the source and subject drain on their own). */
  recordSuccess(tx: Executor, keys: FailureKeys): Promise<void>;
  /**
   * Deletes counters quiet for longer than they are remembered, at most once a minute per
   * process. Call it after the failure's transaction, never inside one: deleting rows while
   * holding a counter's lock could deadlock with a transaction waiting for that lock.
   */
  purge(nowMs: number): Promise<void>;
}

const toState = (r: TableRow<'failure_counters'>): FailureState => ({
  failures: Number(r.failures),
  locks: Number(r.locks),
  lockedUntil: numOrNull(r.locked_until),
  lastFailureAt: num(r.last_failure_at),
});

const PURGE_INTERVAL_MS = 60_000;
const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

export const createFailureGuard = (deps: {
  store: Store;
  /** Where `check` runs (a hot path's compiled reader); the store's own connection by default. */
  reader?: Pick<Store, 'readRows'>;
  /** Key prefix of this use (`login`, `bootstrap`); subjects are hashed, addresses are kept. */
  scope: string;
  policies: FailurePolicies;
}): FailureGuard => {
  const { store, scope, policies } = deps;
  const reader = deps.reader ?? {
    readRows: async (text: string, parameters: readonly unknown[]) =>
      (await store.db.executeQuery(CompiledQuery.raw(text, [...parameters]))).rows,
  };
  const read = prepareQuery(
    reader,
    (a: string, b: string) => store.db.selectFrom('failure_counters').selectAll().where('key', 'in', [a, b]),
    2,
  );
  const active = (kind: keyof FailurePolicies) => policies[kind].maxFailures > 0;
  const forgetMs = Math.max(...Object.values(policies).map((p) => p.forgetAfterMs));
  let lastPurgeMs = Number.NEGATIVE_INFINITY;

  return {
    keys(subject, address) {
      const source = sourceKey(address);
      return {
        pair: `${scope}:pair:${digest(`${subject}\n${source}`)}`,
        source: `${scope}:source:${source}`,
        subject: `${scope}:subject:${digest(subject)}`,
      };
    },

    async check(keys, nowMs) {
      if (!active('pair') && !active('source')) return { retryAfter: null, known: false };
      const rows = await read(keys.pair, keys.source);
      const gating = rows.filter((r) => (r.key === keys.pair ? active('pair') : active('source')));
      return {
        retryAfter: retryAfterSeconds(gating.map(toState), nowMs),
        known: rows.some((r) => r.key === keys.pair),
      };
    },

    async recordFailure(tx, keys, nowMs) {
      const kinds = (['subject', 'pair', 'source'] as const).filter(active);
      if (kinds.length === 0) return null;
      const ordered = [...new Set(kinds.map((k) => keys[k]))].sort();
      // SQLite transactions already hold the write lock (BEGIN IMMEDIATE); PostgreSQL locks the
      // rows, created first if absent, always in key order so that concurrent failures cannot deadlock.
      if (store.dialect === 'postgres') {
        await tx
          .insertInto('failure_counters')
          .values(
            ordered.map((key) => ({
              key,
              failures: 0,
              locks: 0,
              locked_until: null,
              last_failure_at: nowMs,
            })),
          )
          .onConflict((oc) => oc.column('key').doNothing())
          .execute();
      }
      let q = tx.selectFrom('failure_counters').selectAll().where('key', 'in', ordered).orderBy('key');
      if (store.dialect === 'postgres') q = q.forUpdate();
      const rows = await q.execute();
      const before = new Map(rows.map((r) => [r.key, toState(r)]));
      // A row just created above holds no failure yet: treat it as absent.
      for (const [k, s] of before)
        if (s.failures === 0 && s.locks === 0 && s.lockedUntil === null) before.delete(k);

      const after = new Map<string, FailureState>();
      let lockedForMs = 0;
      let underAttack = false;
      for (const kind of kinds) {
        const key = keys[kind];
        const threshold = kind === 'pair' && underAttack ? 1 : policies[kind].maxFailures;
        const next = afterFailure(after.get(key) ?? before.get(key), nowMs, policies[kind], threshold);
        after.set(key, next.state);
        if (kind === 'subject') underAttack = isLocked(next.state, nowMs);
        else if (next.lockedForMs !== null) lockedForMs = Math.max(lockedForMs, next.lockedForMs);
      }
      await tx
        .insertInto('failure_counters')
        .values(
          [...after].map(([key, s]) => ({
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
      return lockedForMs > 0 ? Math.ceil(lockedForMs / 1000) : null;
    },

    async recordSuccess(tx, keys) {
      await tx.deleteFrom('failure_counters').where('key', '=', keys.pair).execute();
    },

    async purge(nowMs) {
      if (nowMs - lastPurgeMs < PURGE_INTERVAL_MS && nowMs >= lastPurgeMs) return;
      lastPurgeMs = nowMs;
      await store.db
        .deleteFrom('failure_counters')
        .where('last_failure_at', '<', nowMs - forgetMs)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', nowMs)]))
        .where('key', 'like', `${scope}:%`)
        .execute();
    },
  };
};

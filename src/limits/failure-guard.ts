import { createHash } from 'node:crypto';
import type { Executor, Store } from '../store/store.js';
import {
  afterFailure,
  type FailurePolicy,
  type FailureState,
  isLocked,
  retryAfterSeconds,
} from './failure-policy.js';
import {
  deleteCounter,
  lockCounters,
  prepareCountersRead,
  purgeCounters,
  writeCounters,
} from './limits-repo-failures.js';
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

const PURGE_INTERVAL_MS = 60_000;
const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

export const createFailureGuard = (deps: {
  store: Store;
  /** Key prefix of this use (`login`, `bootstrap`); subjects are hashed, addresses are kept. */
  scope: string;
  policies: FailurePolicies;
}): FailureGuard => {
  const { store, scope, policies } = deps;
  const read = prepareCountersRead(store);
  const active = (kind: keyof FailurePolicies) => policies[kind].maxFailures > 0;
  const forgetMs = Math.max(...Object.values(policies).map((p) => p.forgetAfterMs));
  let lastPurgeMs = Number.NEGATIVE_INFINITY;

  return {
    keys(subject, address) {
      const source = sourceKey(address);
      let subjectKey: string | undefined;
      return {
        pair: `${scope}:pair:${digest(`${subject}\n${source}`)}`,
        source: `${scope}:source:${source}`,
        // Only a failure counts against the subject: its digest is taken then, not on every attempt.
        get subject() {
          subjectKey ??= `${scope}:subject:${digest(subject)}`;
          return subjectKey;
        },
      };
    },

    async check(keys, nowMs) {
      if (!active('pair') && !active('source')) return { retryAfter: null, known: false };
      const states = await read(keys.pair, keys.source);
      const gating = [...states].filter(([key]) => (key === keys.pair ? active('pair') : active('source')));
      return {
        retryAfter: retryAfterSeconds(
          gating.map(([, state]) => state),
          nowMs,
        ),
        known: states.has(keys.pair),
      };
    },

    async recordFailure(tx, keys, nowMs) {
      const kinds = (['subject', 'pair', 'source'] as const).filter(active);
      if (kinds.length === 0) return null;
      const ordered = [...new Set(kinds.map((k) => keys[k]))].sort();
      const before = await lockCounters(tx, ordered, nowMs);

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
      await writeCounters(tx, after);
      return lockedForMs > 0 ? Math.ceil(lockedForMs / 1000) : null;
    },

    async recordSuccess(tx, keys) {
      await deleteCounter(tx, keys.pair);
    },

    async purge(nowMs) {
      if (nowMs - lastPurgeMs < PURGE_INTERVAL_MS && nowMs >= lastPurgeMs) return;
      lastPurgeMs = nowMs;
      await purgeCounters(store.db, scope, nowMs - forgetMs, nowMs);
    },
  };
};

import type { Clock } from '../core/clock.js';
import { createFailureGuard, type FailureKeys, type FailurePolicy } from '../limits/index.js';
import type { Store } from '../store/store.js';
import { usersErrors } from './users-errors.js';

export interface LoginLimitSettings {
  /** Failures of one account from one source address before that pair is locked; 0: off. */
  maxFailures: number;
  /** Failures from one source address, any accounts, before the address is locked; 0: off. */
  maxFailuresPerAddress: number;
  /** Failures of one account from all addresses before it counts as under attack; 0: off. */
  maxFailuresPerAccount: number;
  lockoutSeconds: number;
}

const DAY_MS = 86_400_000;
const MAX_LOCKOUT_MS = 3_600_000;

export interface LoginAttempt {
  keys: FailureKeys;
  /** Whether the pair has a failure record (a success then clears it). */
  known: boolean;
}

/**
 * Limits on failed logins (docs/limits.md): per account at a source address, per source address,
 * and per account (never a lock by itself, so an attacker cannot lock the owner out from another
 * address). In the database, shared by every process. The account is named by the email as
 * typed (normalised), whether or not it exists, and the limits act before the password is
 * checked, so neither the answer nor its timing tells whether an account exists.
 */
export const createLoginLimits = (deps: { store: Store; clock: Clock; settings: LoginLimitSettings }) => {
  const { store, clock, settings } = deps;
  const policy = (maxFailures: number): FailurePolicy => ({
    maxFailures,
    lockoutMs: settings.lockoutSeconds * 1000,
    maxLockoutMs: Math.max(MAX_LOCKOUT_MS, settings.lockoutSeconds * 1000),
    forgetAfterMs: DAY_MS,
  });
  const guard = createFailureGuard({
    store,
    scope: 'login',
    policies: {
      pair: policy(settings.maxFailures),
      source: policy(settings.maxFailuresPerAddress),
      subject: policy(settings.maxFailuresPerAccount),
    },
  });

  return {
    /** Refuses (429) while the account at this address, or the address, is locked. */
    async gate(email: string, address: string): Promise<LoginAttempt> {
      const keys = guard.keys(email.trim().toLowerCase(), address);
      const { retryAfter, known } = await guard.check(keys, clock.nowMs());
      if (retryAfter !== null) throw usersErrors.tooManyFailedLogins(retryAfter);
      return { keys, known };
    },

    /** Counts the failure; the error to answer with (429 when this failure locked a key). */
    async failed(attempt: LoginAttempt) {
      const nowMs = clock.nowMs();
      const locked = await store.db
        .transaction()
        .execute((tx) => guard.recordFailure(tx, attempt.keys, nowMs));
      await guard.purge(nowMs);
      return locked === null ? usersErrors.loginFailed() : usersErrors.tooManyFailedLogins(locked);
    },

    async succeeded(attempt: LoginAttempt): Promise<void> {
      if (attempt.known) await guard.recordSuccess(store.db, attempt.keys);
    },
  };
};
export type LoginLimits = ReturnType<typeof createLoginLimits>;

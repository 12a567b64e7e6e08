/**
 * How failed attempts on one key (an account or external id at one address, an address, an
 * account or external id) lead to a lock (docs/limits.md). Pure, so every rule is unit tested.
 *
 * A key holds up to `maxFailures` failures. They drain evenly over `forgetAfterMs` (one every
 * forgetAfterMs / maxFailures), so a shared key, such as an office's NAT address, does not
 * accumulate the occasional typo for ever; a quiet `forgetAfterMs` forgets the key entirely,
 * locks included. The failure that fills the key locks it for `lockoutMs`, doubling with each
 * further lock up to `maxLockoutMs`, and empties it.
 */
export interface FailurePolicy {
  /** 0 disables the limit on this key. */
  maxFailures: number;
  lockoutMs: number;
  maxLockoutMs: number;
  forgetAfterMs: number;
}

export interface FailureState {
  failures: number;
  locks: number;
  lockedUntil: number | null;
  /** The time the drain is counted from: the last failure, moved on by whole drained failures. */
  lastFailureAt: number;
}

const fresh = (nowMs: number): FailureState => ({
  failures: 0,
  locks: 0,
  lockedUntil: null,
  lastFailureAt: nowMs,
});

/** The state as of `nowMs`, with drained failures removed. */
export const drained = (
  prev: FailureState | undefined,
  nowMs: number,
  policy: FailurePolicy,
): FailureState => {
  if (!prev) return fresh(nowMs);
  const quiet = nowMs - prev.lastFailureAt;
  if (quiet >= policy.forgetAfterMs && (prev.lockedUntil === null || prev.lockedUntil <= nowMs))
    return fresh(nowMs);
  if (quiet <= 0 || policy.maxFailures <= 0) return prev;
  const stepMs = policy.forgetAfterMs / policy.maxFailures;
  const gone = Math.min(prev.failures, Math.floor(quiet / stepMs));
  if (gone === 0) return prev;
  const failures = prev.failures - gone;
  return { ...prev, failures, lastFailureAt: failures === 0 ? nowMs : prev.lastFailureAt + gone * stepMs };
};

/**
 * The state after one more failure, and how long it locks the key (null: not locked).
 * `threshold` overrides `maxFailures` (1 while the key's subject is under attack, see
 * failure-guard.ts).
 */
export const afterFailure = (
  prev: FailureState | undefined,
  nowMs: number,
  policy: FailurePolicy,
  threshold = policy.maxFailures,
): { state: FailureState; lockedForMs: number | null } => {
  const s = drained(prev, nowMs, policy);
  const failures = s.failures + 1;
  if (policy.maxFailures > 0 && failures >= threshold) {
    const locks = s.locks + 1;
    const lockedForMs = Math.min(policy.lockoutMs * 2 ** Math.min(locks - 1, 30), policy.maxLockoutMs);
    return {
      state: { failures: 0, locks, lockedUntil: nowMs + lockedForMs, lastFailureAt: nowMs },
      lockedForMs,
    };
  }
  return {
    state: { ...s, failures, lastFailureAt: s.failures === 0 ? nowMs : s.lastFailureAt },
    lockedForMs: null,
  };
};

export const isLocked = (s: FailureState | undefined, nowMs: number): boolean =>
  s !== undefined && s.lockedUntil !== null && s.lockedUntil > nowMs;

/** Seconds until every given key is unlocked, or null when none is locked. */
export const retryAfterSeconds = (states: readonly FailureState[], nowMs: number): number | null => {
  let until = 0;
  for (const s of states) if (s.lockedUntil !== null && s.lockedUntil > until) until = s.lockedUntil;
  return until > nowMs ? Math.max(1, Math.ceil((until - nowMs) / 1000)) : null;
};

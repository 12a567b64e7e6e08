/**
 * When a failed delivery is tried again, and when it is given up: exponential backoff from
 * `baseMs`, doubled per attempt up to `maxMs`, with "equal jitter" (a random point in the upper
 * half of the step) so that deliveries failing together do not retry in lockstep.
 */
export interface RetryPolicy {
  baseMs: number;
  maxMs: number;
  /** Attempts (counted since the last manual redelivery) after which a delivery fails. */
  maxAttempts: number;
  /** Age (since the first attempt was due, or the last manual redelivery) after which it fails. */
  maxAgeMs: number;
}

export const retryDelayMs = (policy: RetryPolicy, attempt: number, random: () => number): number => {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40));
  return Math.round(step / 2 + (random() * step) / 2);
};

export const shouldGiveUp = (
  policy: RetryPolicy,
  budget: { attempts: number; sinceMs: number },
  nowMs: number,
): boolean => budget.attempts >= policy.maxAttempts || nowMs - budget.sinceMs >= policy.maxAgeMs;

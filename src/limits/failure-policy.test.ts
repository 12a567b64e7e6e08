import { describe, expect, it } from 'vitest';
import {
  afterFailure,
  drained,
  type FailurePolicy,
  type FailureState,
  isLocked,
  retryAfterSeconds,
} from './failure-policy.js';

const policy: FailurePolicy = {
  maxFailures: 10,
  lockoutMs: 60_000,
  maxLockoutMs: 300_000,
  forgetAfterMs: 3_600_000,
};

describe('failed-attempt policy', () => {
  it('locks on the tenth failure in a row, for the lockout, doubling up to the cap', () => {
    let s: FailureState | undefined;
    let now = 1_000_000;
    for (let i = 1; i <= 9; i++) {
      const r = afterFailure(s, now, policy);
      expect(r.lockedForMs).toBeNull();
      s = r.state;
    }
    const tenth = afterFailure(s, now, policy);
    expect(tenth.lockedForMs).toBe(60_000);
    expect(retryAfterSeconds([tenth.state], now)).toBe(60);
    expect(retryAfterSeconds([tenth.state], now + 60_000)).toBeNull();
    s = tenth.state;
    const locks: (number | null)[] = [];
    for (let round = 0; round < 4; round++) {
      for (let i = 1; i <= 10; i++) {
        now += 1000;
        const r = afterFailure(s, now, policy);
        if (i === 10) locks.push(r.lockedForMs);
        s = r.state;
      }
    }
    expect(locks).toEqual([120_000, 240_000, 300_000, 300_000]);
  });

  it('forgets failures after a quiet period, and can be switched off', () => {
    const nine = { failures: 9, locks: 2, lockedUntil: null, lastFailureAt: 0 };
    expect(afterFailure(nine, 3_600_001, policy)).toEqual({
      state: { failures: 1, locks: 0, lockedUntil: null, lastFailureAt: 3_600_001 },
      lockedForMs: null,
    });
    expect(afterFailure(nine, 10, { ...policy, maxFailures: 0 }).lockedForMs).toBeNull();
  });

  it('waits for the latest lock of all keys', () => {
    const s = (lockedUntil: number | null) => ({ failures: 0, locks: 1, lockedUntil, lastFailureAt: 0 });
    expect(retryAfterSeconds([s(null), s(5_500), s(2_000)], 1_000)).toBe(5);
    expect(retryAfterSeconds([s(1_000)], 1_000)).toBeNull();
    expect(retryAfterSeconds([], 1_000)).toBeNull();
  });

  it('drains failures evenly over the forget period, keeping the fraction of a step', () => {
    // 10 failures per hour: one drains every 6 minutes.
    let s = afterFailure(undefined, 0, policy).state;
    for (let i = 0; i < 7; i++) s = afterFailure(s, 0, policy).state;
    expect(s.failures).toBe(8);
    expect(drained(s, 6 * 60_000 - 1, policy).failures).toBe(8);
    const later = drained(s, 9 * 60_000, policy);
    expect(later).toMatchObject({ failures: 7, lastFailureAt: 6 * 60_000 });
    // The 3 minutes past the step still count towards the next one.
    expect(drained(later, 12 * 60_000, policy).failures).toBe(6);
    // A shared key failing a little less often than the drain never locks.
    let shared: FailureState | undefined;
    for (let t = 0; t < 100; t++) {
      const r = afterFailure(shared, t * 6 * 60_000 + 1, policy);
      expect(r.lockedForMs).toBeNull();
      shared = r.state;
    }
  });

  it('locks at a lower threshold when asked, and a lock survives a quiet period until it ends', () => {
    const first = afterFailure(undefined, 0, policy, 1);
    expect(first.lockedForMs).toBe(60_000);
    expect(isLocked(first.state, 59_999)).toBe(true);
    expect(isLocked(first.state, 60_000)).toBe(false);
    const long = { failures: 0, locks: 5, lockedUntil: 7_200_000, lastFailureAt: 0 };
    expect(drained(long, 3_700_000, policy)).toBe(long);
    expect(drained(long, 7_200_000, policy)).toEqual({
      failures: 0,
      locks: 0,
      lockedUntil: null,
      lastFailureAt: 7_200_000,
    });
  });
});

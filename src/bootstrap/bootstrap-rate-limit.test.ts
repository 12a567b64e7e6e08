import { describe, expect, it } from 'vitest';
import {
  type AttemptPolicy,
  type AttemptState,
  afterFailure,
  retryAfterSeconds,
} from './bootstrap-rate-limit.js';

const policy: AttemptPolicy = {
  maxFailures: 10,
  lockoutMs: 60_000,
  maxLockoutMs: 300_000,
  forgetAfterMs: 3_600_000,
};

describe('failed-attempt policy', () => {
  it('locks on the tenth failure in a row, for the lockout, doubling up to the cap', () => {
    let s: AttemptState | undefined;
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
});

import { describe, expect, it } from 'vitest';
import { createTokenBuckets } from './token-bucket.js';

describe('token buckets', () => {
  it("allows a minute's budget at once, then refills at the per-minute rate", () => {
    const b = createTokenBuckets({ perMinute: 6 });
    for (let i = 0; i < 6; i++) expect(b.take('a', 0)).toBeNull();
    expect(b.take('a', 0)).toBe(10);
    expect(b.take('b', 0)).toBeNull();
    expect(b.take('a', 9_999)).toBe(1);
    expect(b.take('a', 10_000)).toBeNull();
    expect(b.take('a', 10_000)).toBe(10);
    // A full minute refills the bucket, not more.
    for (let i = 0; i < 6; i++) expect(b.take('a', 3_600_000)).toBeNull();
    expect(b.take('a', 3_600_000)).not.toBeNull();
  });

  it('forgets the least recently used key beyond maxKeys, and 0 disables', () => {
    const b = createTokenBuckets({ perMinute: 1, maxKeys: 2 });
    expect(b.take('a', 0)).toBeNull();
    expect(b.take('b', 0)).toBeNull();
    expect(b.take('a', 0)).not.toBeNull();
    expect(b.take('c', 0)).toBeNull();
    expect(b.size).toBe(2);
    // b was the least recently used: forgotten, so it has a full bucket again.
    expect(b.take('b', 0)).toBeNull();
    const off = createTokenBuckets({ perMinute: 0 });
    for (let i = 0; i < 100; i++) expect(off.take('x', 0)).toBeNull();
  });
});

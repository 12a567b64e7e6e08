import { createLru, NO_OPTIONS } from '../core/lru.js';

/**
 * In-memory token buckets, one per key (a source address, a tenant): each holds `perMinute`
 * tokens and refills at `perMinute` per minute, so a key may spend a minute's budget at once and
 * then keeps the average. Per process: with N processes behind a balancer a key gets up to N
 * times the budget (docs/limits.md says why that is acceptable where this is used). At most
 * `maxKeys` keys are remembered; beyond that the least recently used is forgotten (it comes
 * back with a full bucket, so the bound only ever errs towards letting a request through).
 */
export interface TokenBuckets {
  /** Takes one token: null when allowed, else the seconds until a token is available. */
  take(key: string, nowMs: number): number | null;
  readonly size: number;
}

export const createTokenBuckets = (opts: { perMinute: number; maxKeys?: number }): TokenBuckets => {
  const capacity = opts.perMinute;
  const maxKeys = opts.maxKeys ?? 100_000;
  const msPerToken = 60_000 / Math.max(1, capacity);
  const buckets = createLru<string, { tokens: number; atMs: number }>(maxKeys);
  return {
    take(key, nowMs) {
      if (capacity <= 0) return null;
      const b = buckets.get(key, NO_OPTIONS);
      const tokens = b ? Math.min(capacity, b.tokens + Math.max(0, nowMs - b.atMs) / msPerToken) : capacity;
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, atMs: nowMs }, NO_OPTIONS);
        return null;
      }
      buckets.set(key, { tokens, atMs: nowMs }, NO_OPTIONS);
      return Math.max(1, Math.ceil(((1 - tokens) * msPerToken) / 1000));
    },
    get size() {
      return buckets.size;
    },
  };
};

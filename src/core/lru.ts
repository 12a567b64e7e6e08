import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';

export { LRUCache };

/**
 * Options for `get`/`set` on the request path. lru-cache defaults a missing options argument to a
 * fresh `{}`; passing this one shared object instead keeps a cache hit free of allocations.
 */
export const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * A bounded LRU cache whose entries may expire (`set(k, v, { ttl })`), on the injected clock, so
 * tests that move the clock see entries expire. `ttlResolution: 0` reads the clock on each check:
 * lru-cache otherwise arms a timer to reuse the reading, which would be one timer per request.
 */
export const createExpiringLru = <K extends {}, V extends {}>(max: number, clock: Clock): LRUCache<K, V> =>
  new LRUCache<K, V>({ max, ttlResolution: 0, perf: { now: () => clock.nowMs() } });

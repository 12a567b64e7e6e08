import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';

export type { LRUCache };

/**
 * Options for `get`/`set` on the request path. lru-cache defaults a missing options argument to a
 * fresh `{}`; passing this one shared object instead keeps a cache hit free of allocations.
 */
export const NO_OPTIONS: Readonly<Record<string, never>> = Object.freeze({});

const ONE_ENTRY = () => 1;

/**
 * A cache of at most `maxEntries` entries, the least recently used forgotten first. The bound is
 * given as `maxSize` (every entry weighs 1), not `max`: with `max` lru-cache allocates its index
 * arrays for every entry up front (a 1,000,000 bound is ~28 MB and ~150 ms at each app start);
 * this way they grow as the cache fills. Lookups cost the same.
 */
export const createLru = <K extends {}, V extends {}>(maxEntries: number): LRUCache<K, V> =>
  new LRUCache<K, V>({ maxSize: maxEntries, sizeCalculation: ONE_ENTRY });

/**
 * createLru whose entries may expire (`set(k, v, { ttl })`), on the injected clock, so tests that
 * move the clock see entries expire. `ttlResolution: 0` reads the clock on each check: lru-cache
 * otherwise arms a timer to reuse the reading, which would be one timer per request.
 */
export const createExpiringLru = <K extends {}, V extends {}>(
  maxEntries: number,
  clock: Clock,
): LRUCache<K, V> =>
  new LRUCache<K, V>({
    maxSize: maxEntries,
    sizeCalculation: ONE_ENTRY,
    ttlResolution: 0,
    perf: { now: () => clock.nowMs() },
  });

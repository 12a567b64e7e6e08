import { createLru, NO_OPTIONS } from './lru.js';

/**
 * "Record this at most once per window": for events a client can trigger at will (a refused
 * enrollment, a key collision), so a flood of refused requests writes one row per window and key,
 * not one per request. One per service instance; memory bounded by `maxKeys` (the least recently
 * seen key is forgotten when full, which at worst records one event more for it).
 */
export const createOncePerWindow = (windowMs: number, maxKeys: number) => {
  const last = createLru<string, number>(maxKeys);
  return (key: string, nowMs: number): boolean => {
    const at = last.get(key, NO_OPTIONS);
    if (at !== undefined && nowMs - at < windowMs) return false;
    last.set(key, nowMs, NO_OPTIONS);
    return true;
  };
};

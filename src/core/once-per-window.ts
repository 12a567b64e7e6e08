/**
 * "Record this at most once per window": for events a client can trigger at will (a refused
 * enrollment, a key collision), so a flood of refused requests writes one row per window and key,
 * not one per request. Per process; memory bounded by `maxKeys` (forgets everything when full,
 * which at worst records one event more per key).
 */
export const createOncePerWindow = (windowMs: number, maxKeys: number) => {
  const last = new Map<string, number>();
  return (key: string, nowMs: number): boolean => {
    const at = last.get(key);
    if (at !== undefined && nowMs - at < windowMs) return false;
    if (last.size >= maxKeys) last.clear();
    last.set(key, nowMs);
    return true;
  };
};

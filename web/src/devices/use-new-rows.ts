import { useEffect, useRef, useState } from 'react';

/**
 * The ids that arrived in the list after it was first shown (a live event brought them), so the
 * table can mark them for a while. A new filter starts over.
 */
export const useNewRows = (ids: string[] | undefined, filterKey: string, forMs = 15_000): Set<string> => {
  const seen = useRef<{ key: string; ids: Set<string> } | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const all = timers.current;
    return () => {
      for (const t of all) clearTimeout(t);
    };
  }, []);
  const joined = ids?.join(',');
  useEffect(() => {
    if (joined === undefined) return;
    const now = joined ? joined.split(',') : [];
    if (!seen.current || seen.current.key !== filterKey) {
      seen.current = { key: filterKey, ids: new Set(now) };
      setFresh(new Set());
      return;
    }
    const known = seen.current.ids;
    const added = now.filter((id) => !known.has(id));
    for (const id of added) known.add(id);
    if (added.length === 0) return;
    setFresh((prev) => new Set([...prev, ...added]));
    const t = setTimeout(() => {
      timers.current.delete(t);
      setFresh((prev) => {
        const next = new Set(prev);
        for (const id of added) next.delete(id);
        return next;
      });
    }, forMs);
    timers.current.add(t);
  }, [joined, filterKey, forMs]);
  return fresh;
};

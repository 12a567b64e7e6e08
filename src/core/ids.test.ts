import { describe, expect, it } from 'vitest';
import { isUuid, newOrderedId, orderedIdFloor } from './ids.js';

describe('newOrderedId', () => {
  it('makes distinct version-7 ids in creation order, across refills of its random pool', () => {
    const ms = Date.now();
    const ids = Array.from({ length: 2000 }, () => newOrderedId(ms));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
      expect(id >= orderedIdFloor(ms)).toBe(true);
    }
    // The random part differs between ids, not only the counter.
    const randomParts = new Set(ids.map((id) => id.slice(24)));
    expect(randomParts.size).toBe(ids.length);
  });
});

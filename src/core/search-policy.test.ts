import { describe, expect, it } from 'vitest';
import { pageReadOrder } from './search-policy.js';

describe('page read order', () => {
  it('walks the index when matches are dense enough to fill the page soon', () => {
    // A group of 10,000 in a million: the first page is ~2,000 index entries away.
    expect(pageReadOrder(10_000, 1_000_000, 20)).toBe('index');
    expect(pageReadOrder(700_000, 1_000_000, 20)).toBe('index');
  });

  it('reads from the ids when there are few of them', () => {
    expect(pageReadOrder(16, 1_000_000, 20)).toBe('ids');
    expect(pageReadOrder(0, 1_000_000, 20)).toBe('ids');
    // Deep pages of a sparse set pass over more devices than the set holds.
    expect(pageReadOrder(10_000, 1_000_000, 9_000)).toBe('ids');
  });
});

import { describe, expect, it } from 'vitest';
import { createOncePerWindow } from './once-per-window.js';

describe('createOncePerWindow', () => {
  it('says yes once per key and window', () => {
    const first = createOncePerWindow(1000, 10);
    expect([first('a', 0), first('a', 999), first('b', 999), first('a', 1000), first('a', 1500)]).toEqual([
      true,
      false,
      true,
      true,
      false,
    ]);
  });

  it('stays bounded: when full it forgets the least recently seen key, which may be reported once more', () => {
    const first = createOncePerWindow(60_000, 3);
    for (const k of ['a', 'b', 'c']) expect(first(k, 0)).toBe(true);
    expect(first('a', 1)).toBe(false);
    expect(first('d', 1)).toBe(true);
    expect(first('b', 2)).toBe(true);
    expect(first('a', 3)).toBe(false);
    expect(first('d', 3)).toBe(false);
  });

  it('two windows share nothing', () => {
    const one = createOncePerWindow(1000, 10);
    const other = createOncePerWindow(1000, 10);
    expect([one('a', 0), other('a', 0)]).toEqual([true, true]);
  });
});

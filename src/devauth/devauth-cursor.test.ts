import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './devauth-cursor.js';

describe('device list cursors', () => {
  it('round-trips the position of a device', () => {
    const c = { createdAt: 1_767_225_599_870, id: '0b9a4c1e-7d2f-4e8a-9c3b-5f6a7b8c9d0e' };
    const text = encodeCursor(c);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(c);
  });

  it('reads an empty cursor as the start of the list', () => {
    expect(decodeCursor('')).toBeNull();
  });

  it('refuses what it did not give out with a 400', () => {
    const ugly = (s: string) => Buffer.from(s).toString('base64url');
    for (const text of [
      'not a cursor!',
      ugly('12.not-a-uuid'),
      ugly('x.0b9a4c1e-7d2f-4e8a-9c3b-5f6a7b8c9d0e'),
      ugly('99999999999999999.0b9a4c1e-7d2f-4e8a-9c3b-5f6a7b8c9d0e'),
      'A'.repeat(129),
    ]) {
      expect(() => decodeCursor(text), text).toThrow(expect.objectContaining({ status: 400 }));
    }
  });
});

import { describe, expect, it } from 'vitest';
import { containsNul, isJsonTooDeep, jsonDepth, MAX_JSON_DEPTH } from './json-limits.js';

const nested = (n: number, inner = '1') => `${'['.repeat(n)}${inner}${']'.repeat(n)}`;

describe('JSON depth, measured without recursion', () => {
  it('counts arrays and objects, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('{"a":[1,{"b":2}]}')).toBe(3);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a\\"[[[":"\\\\","b":[]}')).toBe(2);
    expect(jsonDepth(Buffer.from('{"é":"[[[","x":[[1]]}'))).toBe(3);
  });

  it('accepts MAX_JSON_DEPTH and refuses one more, as text or bytes', () => {
    expect(isJsonTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(isJsonTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(isJsonTooDeep(Buffer.from(nested(MAX_JSON_DEPTH + 1)))).toBe(true);
  });

  it('survives depth 1,000,000 (and stops scanning early)', () => {
    expect(isJsonTooDeep(nested(1_000_000))).toBe(true);
    expect(jsonDepth('['.repeat(1_000_000), 10)).toBe(11);
  });
});

describe('NUL anywhere in a parsed value', () => {
  it('finds it in strings and keys at any depth', () => {
    expect(containsNul({ a: ['x', { b: 'y' }] })).toBe(false);
    expect(containsNul({ a: ['x', { b: 'y\u0000' }] })).toBe(true);
    expect(containsNul({ a: [{ 'k\u0000': 1 }] })).toBe(true);
    expect(containsNul('\u0000')).toBe(true);
    expect(containsNul(null)).toBe(false);
    expect(containsNul(Buffer.from([0]))).toBe(false);
  });

  it('is exact beyond any fixed depth, without overflowing the stack', () => {
    expect(containsNul(JSON.parse(nested(100_000, '"a\\u0000"')))).toBe(true);
    expect(containsNul(JSON.parse(nested(100_000, '"a"')))).toBe(false);
  });
});

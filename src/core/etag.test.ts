import { describe, expect, it } from 'vitest';
import { ifMatchNames } from './etag.js';

describe('ifMatchNames', () => {
  it('accepts *, the bare, quoted and weak forms, in a list', () => {
    expect(ifMatchNames('*', 'abc')).toBe(true);
    expect(ifMatchNames('abc', 'abc')).toBe(true);
    expect(ifMatchNames('"abc"', 'abc')).toBe(true);
    expect(ifMatchNames('W/"abc"', 'abc')).toBe(true);
    expect(ifMatchNames('"x", "abc"', 'abc')).toBe(true);
  });
  it('refuses other values and a missing current version', () => {
    expect(ifMatchNames('"abd"', 'abc')).toBe(false);
    expect(ifMatchNames('', 'abc')).toBe(false);
    expect(ifMatchNames('"abc', 'abc')).toBe(false);
    expect(ifMatchNames('*', undefined)).toBe(false);
  });
});

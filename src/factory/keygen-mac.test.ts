import { describe, expect, it } from 'vitest';
import { checkMacRange, formatMac, MAX_MAC, parseMac } from './keygen-mac.js';

describe('MAC addresses', () => {
  it('parses colon or dash notation in either case, and formats lowercase', () => {
    const n = parseMac('02:00:5E:10:00:FF');
    expect(n).toBe(0x02005e1000ff);
    expect(parseMac('02-00-5e-10-00-ff')).toBe(n);
    expect(formatMac(n)).toBe('02:00:5e:10:00:ff');
    expect(formatMac(n, 'dash')).toBe('02-00-5e-10-00-ff');
    expect(formatMac(n, 'hex')).toBe('02005e1000ff');
    expect(formatMac(0)).toBe('00:00:00:00:00:00');
    expect(formatMac(MAX_MAC)).toBe('ff:ff:ff:ff:ff:ff');
  });

  it('increments across octets', () => {
    const start = parseMac('02:00:00:00:00:ff');
    expect(formatMac(start + 1)).toBe('02:00:00:00:01:00');
    expect(formatMac(parseMac('02:ff:ff:ff:ff:ff') + 1)).toBe('03:00:00:00:00:00');
  });

  it('refuses what is not a MAC', () => {
    for (const bad of [
      '',
      '02:00:00:00:00',
      '02:00:00:00:00:00:00',
      '02:00-00:00:00:00',
      'zz:00:00:00:00:00',
      '0200000000ff',
    ])
      expect(() => parseMac(bad), bad).toThrow('is not a MAC address');
  });

  it('refuses a range that would pass ff:ff:ff:ff:ff:ff', () => {
    expect(() => checkMacRange(parseMac('ff:ff:ff:ff:ff:fe'), 2)).not.toThrow();
    expect(() => checkMacRange(parseMac('ff:ff:ff:ff:ff:fe'), 3)).toThrow(
      'leaves room for 2 devices, not 3: the range would pass ff:ff:ff:ff:ff:ff',
    );
    expect(() => checkMacRange(MAX_MAC, 1)).not.toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { sourceKey } from './source-address.js';

describe('sourceKey', () => {
  it('keeps IPv4 addresses, unmaps IPv4-mapped IPv6 and groups IPv6 by /64', () => {
    expect(sourceKey('10.1.2.3')).toBe('10.1.2.3');
    expect(sourceKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(sourceKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:0DB8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceKey('::1.2.3.4')).toBe('0:0:0:0::/64');
    expect(sourceKey(undefined)).toBe('unknown');
    expect(sourceKey('')).toBe('unknown');
    expect(sourceKey('not an address')).toMatch(/^other:[0-9a-f]{32}$/);
  });
});

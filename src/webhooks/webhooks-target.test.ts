import { describe, expect, it } from 'vitest';
import { checkTargetUrl, isPrivateAddress, redactUrl } from './webhooks-target.js';

describe('webhook targets (SSRF policy)', () => {
  it('knows the private, loopback and reserved ranges', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a00:1',
      '64:ff9b::127.0.0.1',
      'not an ip',
    ])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of [
      '8.8.8.8',
      '172.32.0.1',
      '1.1.1.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::808:808',
    ])
      expect(isPrivateAddress(a), a).toBe(false);
  });

  it('accepts http(s) URLs and refuses other schemes, credentials, fragments and long URLs', () => {
    const open = { allowPrivate: true };
    expect(checkTargetUrl('https://hooks.example.com/x?key=1', open)).toBe(
      'https://hooks.example.com/x?key=1',
    );
    expect(checkTargetUrl('http://127.0.0.1:9000/h', open)).toBe('http://127.0.0.1:9000/h');
    for (const bad of [
      'ftp://example.com/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'example.com/hook',
      'https://user:pw@example.com/',
      'https://example.com/#frag',
      `https://example.com/${'a'.repeat(2048)}`,
    ])
      expect(() => checkTargetUrl(bad, open), bad).toThrow(/invalid webhook url/);
  });

  it('refuses literal private addresses and localhost unless allowed', () => {
    const closed = { allowPrivate: false };
    for (const bad of [
      'http://127.0.0.1/',
      'http://localhost:8080/',
      'http://api.localhost/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0x7f.1/',
      'http://2130706433/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
    ])
      expect(() => checkTargetUrl(bad, closed), bad).toThrow(/loopback, private and reserved/);
    expect(checkTargetUrl('https://hooks.example.com/', closed)).toBe('https://hooks.example.com/');
  });

  it('redacts the query string of URLs written to events', () => {
    expect(redactUrl('https://f.example.net/api/alloc?code=SECRET')).toBe(
      'https://f.example.net/api/alloc?…',
    );
    expect(redactUrl('https://f.example.net/hook')).toBe('https://f.example.net/hook');
  });
});

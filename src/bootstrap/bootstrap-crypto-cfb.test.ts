import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  cfbDecrypt,
  cfbEncrypt,
  decryptSecureHeader,
  EncryptKeyError,
  parseEncryptKey,
} from './bootstrap-crypto-cfb.js';

describe("Magistrala's secure-mode crypto", () => {
  it('takes the key as the string bytes, 16/24/32 long only', () => {
    expect(parseEncryptKey('v7aT0HGxJxt2gULzr3RHwf4WIf6DusPp').length).toBe(32);
    expect(parseEncryptKey('0123456789abcdef').length).toBe(16);
    expect(parseEncryptKey('0123456789abcdef01234567').length).toBe(24);
    expect(parseEncryptKey('é'.repeat(8)).length).toBe(16); // bytes, not characters
    for (const bad of ['', 'short', 'x'.repeat(50), 'é'.repeat(16 - 8 + 2)]) {
      expect(() => parseEncryptKey(bad)).toThrow(EncryptKeyError);
    }
  });

  it('is CFB with 128-bit segments: IV ‖ ciphertext, the same as Go and `aes-*-cfb`', () => {
    const key = parseEncryptKey('12345678910111213141516171819202');
    const iv = Buffer.alloc(16, 9);
    const msg = cfbEncrypt(key, Buffer.from('external-key'), iv);
    expect(msg.subarray(0, 16)).toEqual(iv);
    const c = createCipheriv('aes-256-cfb', key, iv);
    expect(msg.subarray(16)).toEqual(Buffer.concat([c.update('external-key'), c.final()]));
    expect(msg.length).toBe(16 + 'external-key'.length);
    expect(cfbDecrypt(key, msg)?.toString()).toBe('external-key');
  });

  it('decodes the secure header, and nothing that is not hex of at least one IV', () => {
    const key = parseEncryptKey('0123456789abcdef');
    const hex = cfbEncrypt(key, Buffer.from('k3y')).toString('hex');
    expect(decryptSecureHeader(key, hex)).toBe('k3y');
    expect(decryptSecureHeader(key, hex.toUpperCase())).toBe('k3y');
    expect(decryptSecureHeader(key, hex.slice(1))).toBeUndefined();
    expect(decryptSecureHeader(key, 'zz'.repeat(20))).toBeUndefined();
    expect(decryptSecureHeader(key, 'ab'.repeat(15))).toBeUndefined();
  });
});

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.js';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('private key material', 'row:1');
    expect(sealed.startsWith(`v1.${box.keyId}.`)).toBe(true);
    expect(sealed).not.toContain('private key material');
    expect(box.open(sealed, 'row:1').toString()).toBe('private key material');
  });

  it("refuses tampering, another row's AAD and another master key", () => {
    const sealed = box.seal('x', 'row:1');
    expect(() => box.open(sealed, 'row:2')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('y').toString('base64url');
    expect(() => box.open(parts.join('.'), 'row:1')).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'row:1')).toThrow(/master key/);
  });
});

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Magistrala's "secure bootstrap" (docs/compat/magistrala-bootstrap.md#secure-bootstrap), byte for
 * byte: AES-CFB with 128-bit segments
 * (Go's cipher.NewCFBEncrypter = OpenSSL/Node `aes-{128,192,256}-cfb`, not `-cfb8`), key = the
 * configured string's UTF-8 bytes, message = IV(16) ‖ ciphertext. No integrity protection:
 * kept only for compatibility; bootstrap v2 (bootstrap-crypto-v2.ts) is the safe protocol.
 */
export const CFB_IV_BYTES = 16;
export const CFB_KEY_LENGTHS = [16, 24, 32] as const;

export class EncryptKeyError extends Error {}

/** The key as Magistrala uses it: the string's bytes, which must be 16, 24 or 32 long. */
export const parseEncryptKey = (raw: string): Buffer => {
  const key = Buffer.from(raw, 'utf8');
  if (!(CFB_KEY_LENGTHS as readonly number[]).includes(key.length)) {
    throw new EncryptKeyError(
      `the bootstrap encrypt key must be 16, 24 or 32 bytes (AES-128/192/256), got ${key.length}`,
    );
  }
  return key;
};

const algorithm = (key: Buffer) => `aes-${key.length * 8}-cfb`;

/** IV ‖ AES-CFB(key, IV, plaintext); the IV is random unless given (tests). */
export const cfbEncrypt = (
  key: Buffer,
  plaintext: Uint8Array,
  iv: Buffer = randomBytes(CFB_IV_BYTES),
): Buffer => {
  const cipher = createCipheriv(algorithm(key), key, iv);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
};

/** Decrypts IV ‖ ciphertext; undefined when shorter than an IV (Magistrala then returned "" silently). */
export const cfbDecrypt = (key: Buffer, message: Uint8Array): Buffer | undefined => {
  if (message.length < CFB_IV_BYTES) return undefined;
  const buf = Buffer.from(message);
  const decipher = createDecipheriv(algorithm(key), key, buf.subarray(0, CFB_IV_BYTES));
  return Buffer.concat([decipher.update(buf.subarray(CFB_IV_BYTES)), decipher.final()]);
};

/**
 * The external key a device sent in secure mode: `Client <hex(IV ‖ CFB(key))>` (either hex case).
 * Undefined for anything that does not decode; the caller treats that like a wrong key.
 */
export const decryptSecureHeader = (key: Buffer, hex: string): string | undefined => {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  return cfbDecrypt(key, Buffer.from(hex, 'hex'))?.toString('utf8');
};

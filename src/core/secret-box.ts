import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Envelope encryption of secrets at rest (AES-256-GCM under the master key).
 * Stored form: `v1.<key id>.<iv b64url>.<ciphertext b64url>.<tag b64url>`. The key id is a
 * short digest of the master key, so a process started with the wrong master key fails with a
 * clear message instead of producing garbage. `aad` binds a ciphertext to its row/purpose.
 */
export interface SecretBox {
  readonly keyId: string;
  seal(plaintext: Uint8Array | string, aad: string): string;
  open(sealed: string, aad: string): Buffer;
}

export class SecretBoxError extends Error {}

export const createSecretBox = (masterKey: Uint8Array): SecretBox => {
  if (masterKey.length !== 32) throw new SecretBoxError('master key must be 32 bytes');
  const key = Buffer.from(masterKey);
  const keyId = createHash('sha256').update('gatehouse-master-key-id').update(key).digest('hex').slice(0, 12);
  return {
    keyId,
    seal(plaintext, aad) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aad));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [
        'v1',
        keyId,
        iv.toString('base64url'),
        ct.toString('base64url'),
        tag.toString('base64url'),
      ].join('.');
    },
    open(sealed, aad) {
      const parts = sealed.split('.');
      if (parts.length !== 5 || parts[0] !== 'v1') throw new SecretBoxError('unrecognised sealed secret');
      const [, kid, ivB, ctB, tagB] = parts as [string, string, string, string, string];
      if (kid !== keyId) {
        throw new SecretBoxError(
          `secret was sealed with master key ${kid}, but this process has master key ${keyId}`,
        );
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(ivB, 'base64url'));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tagB, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ctB, 'base64url')), decipher.final()]);
    },
  };
};

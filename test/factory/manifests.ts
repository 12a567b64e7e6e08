import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { signManifest } from '../../src/factory/index.js';

/** Device public keys for manifests (Ed25519: fast to make; other key types are covered by keygen). */
export const devicePublicKey = (type: 'ed25519' | 'ec' | 'rsa' = 'ed25519'): string => {
  const pair =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
};

export const factoryKeyPair = (): { privateKey: KeyObject; publicPem: string } => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};

export const jsonlLine = (row: Record<string, unknown>): string => `${JSON.stringify(row)}\n`;

/** Writes a manifest and, with a key, its .sig; returns the manifest's path. */
export const writeManifest = (path: string, text: string, signer?: KeyObject): string => {
  writeFileSync(path, text);
  if (signer) {
    const sha = createHash('sha256').update(text).digest('hex');
    writeFileSync(`${path}.sig`, `${signManifest(signer, sha)}\n`);
  }
  return path;
};

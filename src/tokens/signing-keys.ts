import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SecretBox } from '../core/secret-box.js';
import { type Executor, num } from '../store/store.js';
import { insertSigningKey, readActiveSigningKeys } from './tokens-repo-signing-keys.js';

/**
 * The server's token signing keys live in the database (so every process of a scale-out
 * deployment signs and verifies with the same keys), private halves sealed with the master key.
 * Algorithm: EdDSA over Ed25519 (docs/adr/0003-device-token-algorithm.md).
 */
export interface SigningKey {
  kid: string;
  alg: 'EdDSA';
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: JWK;
  createdAt: number;
}

const aadFor = (kid: string) => `signing-key:${kid}`;

export const loadSigningKeys = async (db: Executor, box: SecretBox): Promise<SigningKey[]> => {
  const rows = await readActiveSigningKeys(db);
  return rows.map((r) => {
    const privateKey = createPrivateKey({
      key: box.open(r.private_key_sealed, aadFor(r.kid)),
      format: 'der',
      type: 'pkcs8',
    });
    return {
      kid: r.kid,
      alg: 'EdDSA',
      privateKey,
      publicKey: createPublicKey(privateKey),
      publicJwk: JSON.parse(r.public_jwk) as JWK,
      createdAt: num(r.created_at),
    };
  });
};

/**
 * Returns the active keys, creating one if there is none. Two processes racing on an empty
 * database may each insert a key; both keys stay valid and every process signs with the oldest,
 * so the outcome is the same whoever wins.
 */
export const ensureSigningKeys = async (
  db: Executor,
  box: SecretBox,
  nowMs: number,
): Promise<SigningKey[]> => {
  const existing = await loadSigningKeys(db, box);
  if (existing.length > 0) return existing;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  const publicJwk: JWK = { ...jwk, kid, alg: 'EdDSA', use: 'sig' };
  await insertSigningKey(db, {
    kid,
    alg: 'EdDSA',
    public_jwk: JSON.stringify(publicJwk),
    private_key_sealed: box.seal(privateKey.export({ format: 'der', type: 'pkcs8' }), aadFor(kid)),
    status: 'active',
    created_at: nowMs,
  });
  return loadSigningKeys(db, box);
};

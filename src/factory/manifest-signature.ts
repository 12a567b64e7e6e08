import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { sha256Hex } from '../core/hash.js';
import { keyPem } from '../core/pem.js';

/**
 * Detached manifest signatures (docs/factory-manifests.md). What is signed is a one-line statement
 * of the manifest's SHA-256, not the manifest bytes: a manifest of a million devices is then
 * checked while it streams (pure Ed25519 cannot be computed incrementally), and the prefix keeps
 * the signature from being valid for any other message.
 */

export const MANIFEST_STATEMENT_PREFIX = 'gatehouse-manifest-v1 sha256:';

export const manifestStatement = (manifestSha256Hex: string): Buffer =>
  Buffer.from(`${MANIFEST_STATEMENT_PREFIX}${manifestSha256Hex.toLowerCase()}\n`, 'ascii');

export type FactoryKeyType = 'ed25519' | 'ecdsa-p256' | 'ecdsa-p384' | 'rsa';

export class FactoryKeyError extends Error {}

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;
/** Base64 of the largest signature (RSA 8192: 1024 bytes) with room for whitespace. */
export const MAX_SIGNATURE_CHARS = 2048;

export const factoryKeyTypeOf = (key: KeyObject): FactoryKeyType => {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'ed25519';
    case 'ec':
      if (d.namedCurve === 'prime256v1' || d.namedCurve === 'P-256') return 'ecdsa-p256';
      if (d.namedCurve === 'secp384r1' || d.namedCurve === 'P-384') return 'ecdsa-p384';
      throw new FactoryKeyError(`unsupported EC curve ${d.namedCurve ?? '?'} (P-256 or P-384)`);
    case 'rsa': {
      const bits = d.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
        throw new FactoryKeyError(`RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits`);
      return 'rsa';
    }
    default:
      throw new FactoryKeyError(
        `unsupported key type ${key.asymmetricKeyType ?? '?'} (Ed25519, ECDSA P-256/P-384 or RSA)`,
      );
  }
};

export interface FactoryPublicKey {
  key: KeyObject;
  type: FactoryKeyType;
  /** Normalised SPKI PEM. */
  pem: string;
  /** SHA-256 of the SPKI DER (what `openssl pkey -pubin -outform DER | sha256sum` prints). */
  fingerprint: string;
}

/** A factory public key: SPKI PEM ("PUBLIC KEY"). */
export const parseFactoryPublicKey = (pem: string): FactoryPublicKey => {
  if (pem.length > 16_384 || !pem.includes('-----BEGIN PUBLIC KEY-----'))
    throw new FactoryKeyError('expected a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) block');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new FactoryKeyError('cannot decode the public key');
  }
  const type = factoryKeyTypeOf(key);
  return {
    key,
    type,
    pem: keyPem(key),
    fingerprint: sha256Hex(key.export({ type: 'spki', format: 'der' })),
  };
};

/** Loads a factory private key (PEM, PKCS#8 or traditional) and checks its type. */
export const parseFactoryPrivateKey = (pem: string): { key: KeyObject; type: FactoryKeyType } => {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new FactoryKeyError('cannot decode the private key (expected an unencrypted PEM private key)');
  }
  return { key, type: factoryKeyTypeOf(key) };
};

const digestFor = (type: FactoryKeyType) => (type === 'ed25519' ? null : 'sha256');

/** The base64 signature (one line, no newline) over the statement of a manifest's SHA-256. */
export const signManifest = (privateKey: KeyObject, manifestSha256Hex: string): string => {
  const type = factoryKeyTypeOf(privateKey);
  return sign(digestFor(type), manifestStatement(manifestSha256Hex), privateKey).toString('base64');
};

/** Whether `signatureText` (the .sig file's content: base64, surrounding whitespace allowed) verifies. */
export const verifyManifest = (
  publicKey: KeyObject,
  manifestSha256Hex: string,
  signatureText: string,
): boolean => {
  const b64 = signatureText.trim();
  if (b64.length === 0 || b64.length > MAX_SIGNATURE_CHARS || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
    return false;
  try {
    return verify(
      digestFor(factoryKeyTypeOf(publicKey)),
      manifestStatement(manifestSha256Hex),
      publicKey,
      Buffer.from(b64, 'base64'),
    );
  } catch {
    return false;
  }
};

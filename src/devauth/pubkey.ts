import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { sha256Hex } from '../core/hash.js';

/**
 * Device public keys: SubjectPublicKeyInfo PEM only (`-----BEGIN PUBLIC KEY-----`), like
 * deviceauth. Accepted: RSA ≥ 2048 bits, ECDSA on P-256/P-384/P-521, Ed25519 — the key types
 * the Mender client can sign with. Signatures over the raw request body: RSA PKCS#1 v1.5 +
 * SHA-256, ECDSA + SHA-256 in ASN.1 DER, pure Ed25519. (spec/mender-api.md §1.2)
 */

export type DeviceKeyType = 'rsa' | 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-p521' | 'ed25519';

export interface DevicePublicKey {
  /** Normalised SPKI PEM (64-column lines, trailing newline), as stored and shown. */
  pem: string;
  /** SHA-256 of the DER SPKI: equal keys compare equal whatever their PEM formatting. */
  sha256: string;
  type: DeviceKeyType;
  key: KeyObject;
}

export class PublicKeyError extends Error {}

export const MAX_PUBKEY_PEM_BYTES = 8192;
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

const PEM_RE = /^\s*-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/;

const CURVES: Record<string, DeviceKeyType> = {
  prime256v1: 'ecdsa-p256',
  'P-256': 'ecdsa-p256',
  secp384r1: 'ecdsa-p384',
  'P-384': 'ecdsa-p384',
  secp521r1: 'ecdsa-p521',
  'P-521': 'ecdsa-p521',
};

export const parseDevicePublicKey = (pem: string): DevicePublicKey => {
  if (Buffer.byteLength(pem) > MAX_PUBKEY_PEM_BYTES) throw new PublicKeyError('public key is too large');
  if (!PEM_RE.test(pem)) {
    throw new PublicKeyError(
      'cannot decode public key: expected a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) block',
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new PublicKeyError('cannot decode public key');
  }
  const type = keyTypeOf(key);
  const der = key.export({ type: 'spki', format: 'der' });
  return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), sha256: sha256Hex(der), type, key };
};

const parsedCache = new Map<string, DevicePublicKey>();
const PARSED_CACHE_SIZE = 10_000;

/**
 * parseDevicePublicKey with a bounded cache keyed by the PEM text: a device re-authenticating
 * sends the same PEM, and parsing it costs several times the signature check itself.
 * Errors are not cached.
 */
export const parseDevicePublicKeyCached = (pem: string): DevicePublicKey => {
  const hit = parsedCache.get(pem);
  if (hit) return hit;
  const parsed = parseDevicePublicKey(pem);
  if (parsedCache.size >= PARSED_CACHE_SIZE) {
    const oldest = parsedCache.keys().next().value;
    if (oldest !== undefined) parsedCache.delete(oldest);
  }
  parsedCache.set(pem, parsed);
  return parsed;
};

const keyTypeOf = (key: KeyObject): DeviceKeyType => {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS)
        throw new PublicKeyError(`RSA keys must have at least ${MIN_RSA_BITS} bits (got ${bits})`);
      if (bits > MAX_RSA_BITS)
        throw new PublicKeyError(`RSA keys must have at most ${MAX_RSA_BITS} bits (got ${bits})`);
      return 'rsa';
    }
    case 'ec': {
      const t = CURVES[details.namedCurve ?? ''];
      if (!t) throw new PublicKeyError(`unsupported elliptic curve: ${details.namedCurve ?? 'unknown'}`);
      return t;
    }
    case 'ed25519':
      return 'ed25519';
    default:
      throw new PublicKeyError(`unsupported public key type: ${key.asymmetricKeyType ?? 'unknown'}`);
  }
};

/** Checks a device signature over the exact body bytes. Never throws. */
export const verifyDeviceSignature = (
  key: DevicePublicKey,
  body: Uint8Array,
  signature: Uint8Array,
): boolean => {
  try {
    return verify(key.type === 'ed25519' ? null : 'sha256', body, key.key, signature);
  } catch {
    return false;
  }
};

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 (what Go's base64.StdEncoding produces), strictly. */
export const decodeSignatureHeader = (value: string): Buffer | null => {
  const v = value.trim();
  if (v.length === 0 || v.length > 2048 || !B64_RE.test(v)) return null;
  return Buffer.from(v, 'base64');
};

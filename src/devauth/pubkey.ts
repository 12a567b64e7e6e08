import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { sha256Hex } from '../core/hash.js';
import { createLru, NO_OPTIONS } from '../core/lru.js';
import { keyPem, pemBlock } from '../core/pem.js';
import { canonicalSpkiJwk, derTlv, pemBase64 } from './pubkey-spki.js';

/**
 * Device public keys: SubjectPublicKeyInfo PEM only (`-----BEGIN PUBLIC KEY-----`), like
 * deviceauth. Accepted: RSA ≥ 2048 bits, ECDSA on P-256/P-384/P-521, Ed25519 — the key types
 * the Mender client can sign with. Signatures over the raw request body: RSA PKCS#1 v1.5 +
 * SHA-256, ECDSA + SHA-256 in ASN.1 DER, pure Ed25519. (docs/compat/mender-device-auth.md#signature)
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
  const b64 = pemBase64(pem);
  const der = Buffer.from(b64, 'base64');
  // Strict base64 of a DER layout that is canonical by construction: the key is built from its
  // numbers (a JWK), which skips OpenSSL's PEM decoder and the export, and the stored form is
  // the input's own bytes. Anything else takes OpenSSL's decoder.
  const jwk = der.toString('base64') === b64 ? canonicalSpkiJwk(der) : undefined;
  if (jwk) {
    const key = decode(() => createPublicKey({ key: jwk, format: 'jwk' }));
    return { pem: pemBlock('PUBLIC KEY', b64), sha256: sha256Hex(der), type: keyTypeOf(key), key };
  }
  const key = decode(() => createPublicKey({ key: pem, format: 'pem' }));
  const type = keyTypeOf(key);
  // OpenSSL's PEM export is its DER export in base64: decoding it is much cheaper than a second
  // export.
  const normalised = keyPem(key);
  const canonical = Buffer.from(pemBase64(normalised), 'base64');
  return { pem: normalised, sha256: sha256Hex(canonical), type, key };
};

const decode = (make: () => KeyObject): KeyObject => {
  try {
    return make();
  } catch {
    throw new PublicKeyError('cannot decode public key');
  }
};

/**
 * parseDevicePublicKey with a bounded cache keyed by the PEM text: a device re-authenticating
 * sends the same PEM, and parsing it costs several times the signature check itself.
 * Errors are not cached. One per service instance; public keys only, nothing secret.
 */
export const createDevicePublicKeyParser = (maxKeys: number): ((pem: string) => DevicePublicKey) => {
  const parsed = createLru<string, DevicePublicKey>(maxKeys);
  return (pem) => {
    let key = parsed.get(pem, NO_OPTIONS);
    if (!key) {
      key = parseDevicePublicKey(pem);
      parsed.set(pem, key, NO_OPTIONS);
    }
    return key;
  };
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

/** The key type as the management API names it: `rsa-2048`, `ec-p256`, `ed25519` ... */
export type KeyTypeLabel = string;

/**
 * The management API's name of a stored key: the stored type, with the modulus size for RSA
 * (read from the SPKI DER of the stored PEM, no key object built: list pages name hundreds).
 */
export const keyTypeLabel = (type: string, pem: string): KeyTypeLabel => {
  switch (type) {
    case 'rsa': {
      const bits = rsaModulusBits(pem);
      return bits === undefined ? 'rsa' : `rsa-${bits}`;
    }
    case 'ecdsa-p256':
    case 'ecdsa-p384':
    case 'ecdsa-p521':
      return `ec-${type.slice('ecdsa-'.length)}`;
    default:
      return type;
  }
};

/** Bit length of the modulus of an RSA SPKI PEM (SEQUENCE { algId, BIT STRING { SEQUENCE { n, e } } }). */
const rsaModulusBits = (pem: string): number | undefined => {
  const der = Buffer.from(pemBase64(pem), 'base64');
  const spki = derTlv(der, 0);
  const alg = spki && derTlv(der, spki.start);
  const bits = alg && derTlv(der, alg.end);
  // The BIT STRING's first content byte counts unused bits (0).
  const rsaKey = bits?.tag === 0x03 ? derTlv(der, bits.start + 1) : undefined;
  const n = rsaKey?.tag === 0x30 ? derTlv(der, rsaKey.start) : undefined;
  if (n?.tag !== 0x02) return undefined;
  let i = n.start;
  while (i < n.end - 1 && der[i] === 0) i++;
  const first = der[i] as number;
  if (first === 0) return undefined;
  return (n.end - i - 1) * 8 + (32 - Math.clz32(first));
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

/**
 * verifyDeviceSignature in libuv's thread pool: the event loop only queues the job and takes the
 * answer. Never rejects.
 */
export const verifyDeviceSignatureAsync = (
  key: DevicePublicKey,
  body: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> =>
  new Promise((resolve) => {
    try {
      verify(key.type === 'ed25519' ? null : 'sha256', body, key.key, signature, (err, ok) =>
        resolve(err === null && ok),
      );
    } catch {
      resolve(false);
    }
  });

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64 (what Go's base64.StdEncoding produces), strictly. */
export const decodeSignatureHeader = (value: string): Buffer | null => {
  const v = value.trim();
  if (v.length === 0 || v.length > 2048 || !B64_RE.test(v)) return null;
  return Buffer.from(v, 'base64');
};

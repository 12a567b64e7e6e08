import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { KeyType } from './keygen-plan.js';

/**
 * One device key pair, encoded as the Debian mender-client 3.4 loads it from `mender-agent.pem`
 * or `Security.AuthPrivateKey` (every form below was tested with the real client):
 * RSA as PKCS#1 "RSA PRIVATE KEY", the very form the client writes when it generates its own
 * key; EC P-256 as SEC1 "EC PRIVATE KEY" (traditional OpenSSL, like RSA); Ed25519 as PKCS#8
 * "PRIVATE KEY", its only PEM form. The public key comes back as SPKI DER, the input of both the
 * manifest's pubkey and its fingerprint.
 *
 * EC and Ed25519 keys are encoded here from their raw numbers (a JWK export) and fixed DER
 * prefixes: OpenSSL 3's encoders cost two to three times the key generation itself for these
 * key types, which would make keygen a PEM encoder that also makes keys. The unit tests check
 * that the bytes equal Node's own PKCS#8, SEC1 and SPKI exports.
 */

export interface DeviceKey {
  privatePem: string;
  spkiDer: Buffer;
}

/** PEM with 64-character lines and a final newline, as OpenSSL writes it. */
export const pemBlock = (label: string, der: Uint8Array): string => {
  const b64 = Buffer.from(der).toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += `${b64.slice(i, i + 64)}\n`;
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
};

// RFC 8410: PKCS#8 v1 (no public key, as OpenSSL writes it) and SPKI of id-Ed25519 (1.3.101.112).
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

// RFC 5915 ECPrivateKey with the curve (prime256v1) and the uncompressed public point, as
// OpenSSL writes it: SEQUENCE { version 1, OCTET STRING d, [0] curve OID, [1] BIT STRING 04|x|y };
// and RFC 5480 SPKI: SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING 04|x|y }.
const P256_OID = '06082a8648ce3d030107';
const hex = (...parts: string[]) => Buffer.from(parts.join(''), 'hex');
const SEC1_BEFORE_D = hex('3077', '020101', '0420');
const SEC1_BEFORE_POINT = hex('a00a', P256_OID, 'a144', '034200', '04');
const P256_SPKI_PREFIX = hex('3059', '3013', '06072a8648ce3d0201', P256_OID, '034200', '04');

/** The 32-byte fields of a P-256 or Ed25519 private key's JWK. */
const rawFields = (key: KeyObject): { d: Buffer; x: Buffer; y: Buffer | undefined } => {
  const jwk = key.export({ format: 'jwk' });
  // Fixed-length by RFC 7518 §6.2 and RFC 8037; anything else would be a bug to stop on.
  const field = (value: string | undefined) => {
    const bytes = Buffer.from(value ?? '', 'base64url');
    if (bytes.length !== 32) throw new Error(`unexpected ${bytes.length}-byte JWK field`);
    return bytes;
  };
  return { d: field(jwk.d), x: field(jwk.x), y: jwk.y === undefined ? undefined : field(jwk.y) };
};

export const generateDeviceKey = (type: KeyType, rsaBits: number): DeviceKey => {
  switch (type) {
    case 'rsa': {
      // Key generation dwarfs encoding here.
      const { privateKey, publicKey } = generateKeyPairSync('rsa', {
        modulusLength: rsaBits,
        publicExponent: 0x10001,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'der' },
      });
      return { privatePem: privateKey, spkiDer: publicKey };
    }
    case 'ec': {
      const {
        d,
        x,
        y = Buffer.alloc(0),
      } = rawFields(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
      const sec1 = Buffer.concat([SEC1_BEFORE_D, d, SEC1_BEFORE_POINT, x, y]);
      return {
        privatePem: pemBlock('EC PRIVATE KEY', sec1),
        spkiDer: Buffer.concat([P256_SPKI_PREFIX, x, y]),
      };
    }
    case 'ed25519': {
      const { d, x } = rawFields(generateKeyPairSync('ed25519').privateKey);
      return {
        privatePem: pemBlock('PRIVATE KEY', Buffer.concat([ED25519_PKCS8_PREFIX, d])),
        spkiDer: Buffer.concat([ED25519_SPKI_PREFIX, x]),
      };
    }
  }
};

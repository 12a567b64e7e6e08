import type { JsonWebKey } from 'node:crypto';

/**
 * SubjectPublicKeyInfo DER, read by hand only where its layout is fixed or trivially checked:
 * enough to tell that a key's bytes are already what OpenSSL would export (DER is unique) and
 * to hand its numbers to OpenSSL as a JWK, which costs a fraction of decoding the PEM.
 */

/** One DER TLV at `at`: its tag, where its content starts and ends; undefined if malformed. */
export const derTlv = (der: Buffer, at: number): { tag: number; start: number; end: number } | undefined => {
  const tag = der[at];
  let len = der[at + 1];
  if (tag === undefined || len === undefined) return undefined;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > der.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  const end = start + len;
  return end <= der.length ? { tag, start, end } : undefined;
};

/** derTlv, refusing what DER forbids: a long-form length that fits the short form or starts with 0. */
const strictTlv = (der: Buffer, at: number, tag: number) => {
  const t = derTlv(der, at);
  if (!t || t.tag !== tag) return undefined;
  const lengthBytes = t.start - at - 2;
  if (lengthBytes > 0 && (t.end - t.start < 0x80 || der[at + 2] === 0)) return undefined;
  return t;
};

/** The content of a minimally encoded INTEGER above zero, without its sign byte. */
const positiveInteger = (der: Buffer, t: { start: number; end: number }): Buffer | undefined => {
  const first = der[t.start];
  const second = der[t.start + 1];
  if (first === undefined || first & 0x80) return undefined;
  if (first === 0) {
    if (second === undefined || !(second & 0x80)) return undefined;
    return der.subarray(t.start + 1, t.end);
  }
  return der.subarray(t.start, t.end);
};

const hex = (h: string) => Buffer.from(h, 'hex');
/** SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING (0 unused bits, 32 bytes) } */
const ED25519 = hex('302a300506032b6570032100');
/** SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused, uncompressed point) } */
const P256 = hex('3059301306072a8648ce3d020106082a8648ce3d03010703420004');
/** SEQUENCE { rsaEncryption, NULL } */
const RSA_ALGORITHM = hex('300d06092a864886f70d0101010500');

const rsaJwk = (der: Buffer): JsonWebKey | undefined => {
  const spki = strictTlv(der, 0, 0x30);
  if (!spki || spki.end !== der.length) return undefined;
  if (!der.subarray(spki.start, spki.start + RSA_ALGORITHM.length).equals(RSA_ALGORITHM)) return undefined;
  const bits = strictTlv(der, spki.start + RSA_ALGORITHM.length, 0x03);
  if (!bits || bits.end !== spki.end || der[bits.start] !== 0) return undefined;
  const seq = strictTlv(der, bits.start + 1, 0x30);
  if (!seq || seq.end !== bits.end) return undefined;
  const n = strictTlv(der, seq.start, 0x02);
  const e = n && strictTlv(der, n.end, 0x02);
  if (!n || !e || e.end !== seq.end) return undefined;
  const modulus = positiveInteger(der, n);
  const exponent = positiveInteger(der, e);
  if (!modulus || !exponent) return undefined;
  return { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') };
};

/**
 * The JWK of an SPKI DER that is in canonical form (Ed25519, P-256 with an uncompressed point,
 * RSA in strict DER); undefined for anything else, which the caller leaves to OpenSSL.
 */
export const canonicalSpkiJwk = (der: Buffer): JsonWebKey | undefined => {
  if (der.length === ED25519.length + 32 && der.subarray(0, ED25519.length).equals(ED25519))
    return { kty: 'OKP', crv: 'Ed25519', x: der.subarray(ED25519.length).toString('base64url') };
  if (der.length === P256.length + 64 && der.subarray(0, P256.length).equals(P256)) {
    const at = P256.length;
    return {
      kty: 'EC',
      crv: 'P-256',
      x: der.subarray(at, at + 32).toString('base64url'),
      y: der.subarray(at + 32).toString('base64url'),
    };
  }
  return der[0] === 0x30 ? rsaJwk(der) : undefined;
};

export { pemBase64 } from '../core/pem.js';

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PublicKeyError, parseDevicePublicKey } from './pubkey.js';
import { canonicalSpkiJwk } from './pubkey-spki.js';

/**
 * The JWK path of parseDevicePublicKey must decide every input exactly as OpenSSL's PEM decoder
 * followed by an export does: same keys accepted, same stored PEM and fingerprint.
 */

const derOf = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
const pemOf = (der: Buffer, width = 64, eol = '\n') =>
  `-----BEGIN PUBLIC KEY-----${eol}${der
    .toString('base64')
    .replace(new RegExp(`.{1,${width}}`, 'g'), `$&${eol}`)}-----END PUBLIC KEY-----${eol}`;

/** What OpenSSL alone makes of a PEM: the exported PEM, or undefined when it cannot decode it. */
const openssl = (pem: string): string | undefined => {
  try {
    return createPublicKey({ key: pem, format: 'pem' }).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    return undefined;
  }
};

/** parseDevicePublicKey agrees with OpenSSL on `pem`; returns whether it took the JWK path. */
const agrees = (pem: string) => {
  const expected = openssl(pem);
  let got: { pem: string } | Error;
  try {
    got = parseDevicePublicKey(pem);
  } catch (e) {
    got = e as Error;
  }
  if (expected === undefined) {
    expect(got).toBeInstanceOf(PublicKeyError);
  } else if (got instanceof Error) {
    // Decoded by OpenSSL, refused by a rule of ours (RSA size, curve), never as undecodable.
    expect(got).toBeInstanceOf(PublicKeyError);
    expect(got.message).not.toBe('cannot decode public key');
  } else {
    expect(got.pem).toBe(expected);
  }
};

const kinds = {
  ed25519: () => generateKeyPairSync('ed25519').publicKey,
  'P-256': () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
  'P-384': () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey,
  'rsa-2048': () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
  'rsa-3072': () => generateKeyPairSync('rsa', { modulusLength: 3072, publicExponent: 3 }).publicKey,
  'rsa-1024': () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey,
} as const;

describe('SPKI keys read without the PEM decoder', () => {
  it.each(Object.keys(kinds))('%s: the same PEM, fingerprint and type as OpenSSL', (kind) => {
    const key = kinds[kind as keyof typeof kinds]();
    const der = derOf(key);
    const fast = canonicalSpkiJwk(der);
    expect(fast === undefined).toBe(kind === 'P-384');
    agrees(pemOf(der));
    if (kind !== 'rsa-1024') {
      const parsed = parseDevicePublicKey(pemOf(der, 76, '\r\n'));
      expect(parsed.pem).toBe(key.export({ type: 'spki', format: 'pem' }));
      expect(derOf(parsed.key).equals(der)).toBe(true);
    }
  });

  it.each(Object.keys(kinds))('%s: every one-byte change is decided as OpenSSL decides it', (kind) => {
    const der = derOf(kinds[kind as keyof typeof kinds]());
    // Every position, a few values each: header bytes, lengths, sign bytes, key material.
    for (let at = 0; at < der.length; at += at < 40 ? 1 : 7) {
      for (const value of [0x00, 0x01, 0x7f, 0x80, 0xff, (der[at] as number) ^ 0x01]) {
        const changed = Buffer.from(der);
        changed[at] = value;
        agrees(pemOf(changed));
      }
    }
  });

  it('leaves non-canonical encodings to OpenSSL: long-form short lengths, padded integers, cut keys', () => {
    const der = derOf(kinds['rsa-2048']());
    // The exponent (02 03 01 00 01) with a long-form length, and with a superfluous zero byte.
    const e = der.length - 5;
    const longForm = Buffer.concat([der.subarray(0, e), Buffer.from([0x02, 0x81, 0x03, 1, 0, 1])]);
    const padded = Buffer.concat([der.subarray(0, e), Buffer.from([0x02, 0x04, 0, 1, 0, 1])]);
    for (const bad of [
      longForm,
      padded,
      der.subarray(0, der.length - 1),
      Buffer.concat([der, Buffer.from([0])]),
    ]) {
      expect(canonicalSpkiJwk(bad)).toBeUndefined();
      agrees(pemOf(bad));
    }
  });

  it('P-256: a point off the curve and a compressed point are decided as OpenSSL decides them', () => {
    const key = kinds['P-256']();
    const jwk = key.export({ format: 'jwk' });
    const der = derOf(key);
    const offCurve = Buffer.from(der);
    offCurve[der.length - 1] = (offCurve[der.length - 1] as number) ^ 0x01;
    expect(canonicalSpkiJwk(offCurve)).toBeDefined();
    expect(() => parseDevicePublicKey(pemOf(offCurve))).toThrow(PublicKeyError);
    const y = Buffer.from(jwk.y as string, 'base64url');
    const prefix = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
    const point = Buffer.concat([
      Buffer.from([(y[31] as number) & 1 ? 3 : 2]),
      Buffer.from(jwk.x as string, 'base64url'),
    ]);
    const c = Buffer.concat([prefix, point]);
    expect(canonicalSpkiJwk(c)).toBeUndefined();
    agrees(pemOf(c));
  });

  it('strict base64 only: a body that does not re-encode to itself goes to OpenSSL', () => {
    const der = derOf(kinds.ed25519());
    const b64 = der.toString('base64');
    agrees(`-----BEGIN PUBLIC KEY-----\n${b64.slice(0, 20)}=${b64.slice(20)}\n-----END PUBLIC KEY-----\n`);
    agrees(`-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----`);
    agrees(`-----BEGIN PUBLIC KEY-----\n${b64.replace(/=+$/, '')}\n-----END PUBLIC KEY-----\n`);
  });
});

import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pemBlock } from '../core/pem.js';
import { generateDeviceKey } from './keygen-keys.js';

describe('device keys', () => {
  it('RSA: PKCS#1 PEM ("RSA PRIVATE KEY", as the Mender client writes its own), the requested size', () => {
    const key = generateDeviceKey('rsa', 2048);
    expect(key.privatePem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const priv = createPrivateKey(key.privatePem);
    expect(priv.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(priv.asymmetricKeyDetails?.publicExponent).toBe(0x10001n);
    expect(createPublicKey(priv).export({ type: 'spki', format: 'der' })).toEqual(key.spkiDer);
  });

  it('EC P-256: SEC1 PEM ("EC PRIVATE KEY") and its SPKI', () => {
    for (let i = 0; i < 20; i++) {
      const key = generateDeviceKey('ec', 0);
      expect(key.privatePem).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
      const priv = createPrivateKey(key.privatePem);
      expect(priv.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(pemBlock('EC PRIVATE KEY', priv.export({ type: 'sec1', format: 'der' }))).toBe(key.privatePem);
      expect(priv.export({ type: 'sec1', format: 'pem' })).toBe(key.privatePem);
      expect(createPublicKey(priv).export({ type: 'spki', format: 'der' })).toEqual(key.spkiDer);
    }
  });

  it('Ed25519: PKCS#8 PEM ("PRIVATE KEY") and its SPKI', () => {
    for (let i = 0; i < 20; i++) {
      const key = generateDeviceKey('ed25519', 0);
      const priv = createPrivateKey(key.privatePem);
      expect(priv.asymmetricKeyType).toBe('ed25519');
      expect(priv.export({ type: 'pkcs8', format: 'pem' })).toBe(key.privatePem);
      expect(createPublicKey(priv).export({ type: 'spki', format: 'der' })).toEqual(key.spkiDer);
    }
  });

  it('gives key pairs that sign and verify', () => {
    for (const type of ['rsa', 'ec', 'ed25519'] as const) {
      const key = generateDeviceKey(type, 2048);
      const body = Buffer.from('{"id_data":"{}"}\n');
      const alg = type === 'ed25519' ? null : 'sha256';
      const sig = sign(alg, body, createPrivateKey(key.privatePem));
      expect(verify(alg, body, createPublicKey({ key: key.spkiDer, format: 'der', type: 'spki' }), sig)).toBe(
        true,
      );
    }
  });
});

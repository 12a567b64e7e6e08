import { generateKeyPairSync } from 'node:crypto';
import type { KeyType } from './keygen-plan.js';

/**
 * One device key pair, encoded as the Debian mender-client 3.4 loads it from `mender-agent.pem`
 * or `Security.AuthPrivateKey` (every form below was tested with the real client):
 * RSA as PKCS#1 "RSA PRIVATE KEY", the very form the client writes when it generates its own
 * key; EC P-256 as SEC1 "EC PRIVATE KEY" (traditional OpenSSL, like RSA); Ed25519 as PKCS#8
 * "PRIVATE KEY", its only PEM form. The public key comes back as SPKI DER, the input of both the
 * manifest's pubkey and its fingerprint.
 *
 * Encoding happens inside generateKeyPairSync (its encoding options), which for Ed25519 costs
 * about twice the key generation itself (OpenSSL 3's encoders). The cheaper route, a JWK export
 * of the new key and fixed DER prefixes, deadlocks on Node 20: the export holds the key's mutex
 * while allocating, and a garbage collection then runs the finished generation job's destructor,
 * which takes the same mutex (seen in a worker after ~10,000 keys, and in a plain loop).
 */

export interface DeviceKey {
  privatePem: string;
  spkiDer: Buffer;
}

const spkiDer = { type: 'spki', format: 'der' } as const;

export const generateDeviceKey = (type: KeyType, rsaBits: number): DeviceKey => {
  switch (type) {
    case 'rsa': {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', {
        modulusLength: rsaBits,
        publicExponent: 0x10001,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: spkiDer,
      });
      return { privatePem: privateKey, spkiDer: publicKey };
    }
    case 'ec': {
      const { privateKey, publicKey } = generateKeyPairSync('ec', {
        namedCurve: 'P-256',
        privateKeyEncoding: { type: 'sec1', format: 'pem' },
        publicKeyEncoding: spkiDer,
      });
      return { privatePem: privateKey, spkiDer: publicKey };
    }
    case 'ed25519': {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519', {
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: spkiDer,
      });
      return { privatePem: privateKey, spkiDer: publicKey };
    }
  }
};

import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { x509 } from '../pki/index.js';
import { parseClientCertHeader } from './client-cert.js';

describe('client certificate header', () => {
  it("reads nginx's $ssl_client_escaped_cert and folded PEM; refuses garbage", async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const webKeys = {
      privateKey: await crypto.subtle.importKey(
        'pkcs8',
        keys.privateKey.export({ type: 'pkcs8', format: 'der' }),
        { name: 'ECDSA', namedCurve: 'P-256' },
        false,
        ['sign'],
      ),
      publicKey: await crypto.subtle.importKey(
        'spki',
        keys.publicKey.export({ type: 'spki', format: 'der' }),
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['verify'],
      ),
    };
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=header test',
      keys: webKeys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const pem = cert.toString('pem');
    const [one] = parseClientCertHeader(encodeURIComponent(`${pem}\n`));
    expect(one?.subject).toBe('CN=header test');
    expect(parseClientCertHeader(`${pem}\n${pem}`.replace(/\n/g, ' '))).toHaveLength(2);
    expect(parseClientCertHeader('nothing here')).toEqual([]);
    expect(() => parseClientCertHeader('-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----')).toThrow();
    expect(() => parseClientCertHeader('%E0%A4%A')).toThrow();
  });
});

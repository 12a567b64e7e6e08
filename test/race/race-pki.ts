import 'reflect-metadata';
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { DeviceKeys } from '../helpers/device-client.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/**
 * Certificates for the race suite, made in-process (hundreds per run; openssl would cost a
 * process each): an EC P-256 root CA, device leaves for any CN and key, and the proof-of-possession
 * certificate a CA registration asks for.
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCa {
  pem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

const serial = () => {
  const b = randomBytes(12);
  b[0] = ((b[0] ?? 0) & 0x3f) | 0x40;
  return b.toString('hex');
};

const generate = () => webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;

export const makeCa = async (cn: string): Promise<TestCa> => {
  const keys = await generate();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${cn}, O=Gatehouse race`,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { pem: cert.toString('pem'), cert, keys };
};

/** A device key pair usable both in a certificate and for signing auth requests. */
export interface CertKey {
  pair: CryptoKeyPair;
  device: DeviceKeys;
}

export const makeCertKey = async (): Promise<CertKey> => {
  const pair = await generate();
  const privateKey = KeyObject.from(pair.privateKey);
  const publicPem = KeyObject.from(pair.publicKey).export({ type: 'spki', format: 'pem' }).toString();
  return { pair, device: { kind: 'ec', privateKey, publicPem } };
};

export const issue = async (
  ca: TestCa,
  cn: string,
  publicKey: CryptoKey,
  opts: { clientAuth?: boolean } = {},
): Promise<string> => {
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (opts.clientAuth !== false) {
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return cert.toString('pem');
};

/** The certificate proving possession of the CA key: CN = the verification code. */
export const verificationCert = async (ca: TestCa, code: string): Promise<string> =>
  issue(ca, code, (await generate()).publicKey, { clientAuth: false });

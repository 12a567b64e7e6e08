import { randomBytes, webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

import type { CheckedCsr } from './pki-csr.js';
import type { BuiltinKeyType, RevocationReason } from './pki-types.js';
import { x509 } from './pki-x509.js';

/**
 * The signing steps of the built-in CA (key generation, CA certificate, device certificates,
 * CRLs) and the PKCS#7 "certs-only" encoding EST answers with. No storage here.
 */

type SignAlg = { name: string; hash: string; namedCurve?: string };

const algFor = (
  keyType: BuiltinKeyType,
): SignAlg & { modulusLength?: number; publicExponent?: Uint8Array } =>
  keyType === 'ec-p256'
    ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
    : {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        modulusLength: 3072,
        publicExponent: new Uint8Array([1, 0, 1]),
      };

/** The key type of a built-in CA, read back from its certificate. */
export const keyTypeOf = (caCert: x509.X509Certificate): BuiltinKeyType =>
  caCert.publicKey.algorithm.name === 'ECDSA' ? 'ec-p256' : 'rsa-3072';

export interface CaKey {
  keyType: BuiltinKeyType;
  privateKey: CryptoKey;
}

export const generateCaKey = async (
  keyType: BuiltinKeyType,
): Promise<{ pair: CryptoKeyPair; pkcs8: Buffer }> => {
  const pair = (await webcrypto.subtle.generateKey(algFor(keyType), true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  return { pair, pkcs8 };
};

export const importCaKey = async (keyType: BuiltinKeyType, pkcs8: Uint8Array): Promise<CaKey> => {
  const { name, hash, namedCurve } = algFor(keyType);
  const params = namedCurve ? { name, namedCurve } : { name, hash };
  const privateKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, params, false, ['sign']);
  return { keyType, privateKey };
};

/** 16 random bytes, positive and without a leading zero byte (RFC 5280 §4.1.2.2: ≤ 20 octets). */
export const randomSerial = (): string => {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x3f) | 0x40;
  return b.toString('hex').toUpperCase();
};

export const selfSignedCa = async (opts: {
  pair: CryptoKeyPair;
  keyType: BuiltinKeyType;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}): Promise<x509.X509Certificate> =>
  x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name([{ CN: [opts.commonName] }]),
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    signingAlgorithm: algFor(opts.keyType),
    keys: opts.pair,
    extensions: [
      // pathLen 0: the built-in CA signs device certificates only, never other CAs.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(opts.pair.publicKey),
    ],
  });

const caKeyId = (ca: x509.X509Certificate): string | undefined =>
  ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;

/** A client certificate for the CSR's subject and key: clientAuth, not a CA. */
export const signDeviceCertificate = async (opts: {
  ca: x509.X509Certificate;
  caKey: CaKey;
  csr: CheckedCsr;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  crlUrl: string | undefined;
}): Promise<x509.X509Certificate> => {
  const { ca, csr } = opts;
  const usages =
    csr.keyKind === 'rsa'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const akid = caKeyId(ca);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
    await x509.SubjectKeyIdentifierExtension.create(csr.csr.publicKey),
  ];
  if (akid) extensions.push(new x509.AuthorityKeyIdentifierExtension(akid));
  if (opts.crlUrl) extensions.push(new x509.CRLDistributionPointsExtension([opts.crlUrl]));
  return x509.X509CertificateGenerator.create({
    serialNumber: opts.serial,
    subject: csr.csr.subjectName,
    issuer: ca.subjectName,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    publicKey: csr.csr.publicKey,
    signingKey: opts.caKey.privateKey,
    signingAlgorithm: algFor(opts.caKey.keyType),
    extensions,
  });
};

const REASON_CODES: Record<RevocationReason, x509.X509CrlReason> = {
  unspecified: x509.X509CrlReason.unspecified,
  keyCompromise: x509.X509CrlReason.keyCompromise,
  affiliationChanged: x509.X509CrlReason.affiliationChanged,
  superseded: x509.X509CrlReason.superseded,
  cessationOfOperation: x509.X509CrlReason.cessationOfOperation,
  privilegeWithdrawn: x509.X509CrlReason.privilegeWithdrawn,
};

/** DER INTEGER of a non-negative safe integer (the CRL number extension's value). */
const derInteger = (n: number): Uint8Array => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
};

/** A v2 CRL; its CRL number is thisUpdate in ms, which only grows (RFC 5280 §5.2.3). */
export const signCrl = async (opts: {
  ca: x509.X509Certificate;
  caKey: CaKey;
  entries: { serial: string; revokedAt: number; reason: RevocationReason }[];
  thisUpdate: number;
  nextUpdate: number;
}): Promise<Buffer> => {
  const akid = caKeyId(opts.ca);
  const extensions: x509.Extension[] = [new x509.Extension('2.5.29.20', false, derInteger(opts.thisUpdate))];
  if (akid) extensions.push(new x509.AuthorityKeyIdentifierExtension(akid));
  const crl = await x509.X509CrlGenerator.create({
    issuer: opts.ca.subjectName,
    thisUpdate: new Date(opts.thisUpdate),
    nextUpdate: new Date(opts.nextUpdate),
    entries: opts.entries.map((e) => ({
      serialNumber: e.serial.length % 2 ? `0${e.serial}` : e.serial,
      revocationDate: new Date(e.revokedAt),
      reason: REASON_CODES[e.reason],
    })),
    extensions,
    signingAlgorithm: algFor(opts.caKey.keyType),
    signingKey: opts.caKey.privateKey,
  });
  return Buffer.from(crl.rawData);
};

/**
 * CMS SignedData with certificates and no signers ("certs-only", RFC 7030 §4.1.3), base64 in
 * 64-character lines as EST responses carry it (Content-Transfer-Encoding: base64).
 */
export const pkcs7CertsOnlyBase64 = (certs: (x509.X509Certificate | Uint8Array)[]): string => {
  const list = new x509.X509Certificates(
    certs.map((c) => (c instanceof x509.X509Certificate ? c : new x509.X509Certificate(c))),
  );
  return `${list
    .export('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n`;
};

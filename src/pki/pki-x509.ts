// @peculiar/x509 resolves its algorithm table through tsyringe, which needs the Reflect metadata
// polyfill loaded first; ESM evaluates imports in order, so this import must stay above it.
import 'reflect-metadata';
import { createHash, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { type LRUCache, NO_OPTIONS } from '../core/lru.js';
import { keyPem, pemCertificateDers } from '../core/pem.js';
import { pkiErrors } from './pki-errors.js';

// Node 20's WebCrypto (globalThis.crypto is the same object) signs and verifies for the library.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export { x509 };

export const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const OID_ANY_EKU = '2.5.29.37.0';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
/**
 * Critical extensions the chain verifier understands or may safely accept (RFC 5280 §4.2: a
 * certificate with any other critical extension must be refused). Name constraints are not
 * enforced, so a critical nameConstraints extension makes the chain fail.
 */
export const UNDERSTOOD_CRITICAL = new Set([
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_EXT_KEY_USAGE,
  '2.5.29.17', // subjectAltName
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.32', // certificatePolicies: any policy is acceptable to Gatehouse
]);

export const MAX_PEM_BYTES = 64 * 1024;

/** Every certificate in a PEM text (leaf first as given); 400 when there is none or one is malformed. */
export const parseCertificatesPem = (text: string, what = 'certificate'): X509Certificate[] => {
  if (text.length > MAX_PEM_BYTES) throw pkiErrors.badCertificate(`${what}: PEM larger than 64 KiB`);
  const certs: X509Certificate[] = [];
  for (const der of pemCertificateDers(text)) {
    try {
      certs.push(new X509Certificate(der));
    } catch (e) {
      throw pkiErrors.badCertificate(`${what}: not a valid X.509 certificate`, (e as Error).message);
    }
  }
  if (certs.length === 0) throw pkiErrors.badCertificate(`${what}: no PEM certificate found`);
  return certs;
};

/** Exactly one certificate. */
export const parseOneCertificatePem = (text: string, what = 'certificate'): X509Certificate => {
  const certs = parseCertificatesPem(text, what);
  if (certs.length !== 1) throw pkiErrors.badCertificate(`${what}: expected exactly one certificate`);
  return certs[0] as X509Certificate;
};

/** Serials as uppercase hex without leading zeros, whichever library produced them. */
export const normalizeSerial = (hex: string): string => hex.toUpperCase().replace(/^0+(?=.)/, '');

export const fingerprintOf = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');

/** Digest of a subject (or issuer) name as node:crypto prints it: the registry's lookup key. */
export const nameHash = (name: string): string => createHash('sha256').update(name).digest('hex');

/** PEM with 64-character lines and a final newline, as OpenSSL writes it. */
export const toPem = (der: Uint8Array, label = 'CERTIFICATE'): string =>
  `${x509.PemConverter.encode(der, label)}\n`;

export interface CertFacts {
  subject: string;
  issuer: string;
  cn: string | null;
  serial: string;
  fingerprint: string;
  notBefore: number;
  notAfter: number;
  isCa: boolean;
  /** basicConstraints pathLenConstraint, when given. */
  pathLength: number | undefined;
  /** keyUsage bits (x509.KeyUsageFlags), undefined when the extension is absent. */
  keyUsage: number | undefined;
  /** extendedKeyUsage OIDs, undefined when absent. */
  extKeyUsage: string[] | undefined;
  unknownCritical: string[];
  publicKeyPem: string;
  pem: string;
}

// Facts hang off the certificate object (garbage collected with it, nothing shared by value).
const facts = new WeakMap<X509Certificate, CertFacts>();

/**
 * What Gatehouse checks of a certificate, parsed once per certificate object and, given
 * `byFingerprint` (the app instance's cache, pki-verify.ts), once per fingerprint: the same
 * certificate arrives as a new object on every request (proxy header, new connection) and a full
 * X.509 parse costs about 1 ms. Parse errors throw and are not cached.
 */
export const certFacts = (cert: X509Certificate, byFingerprint?: LRUCache<string, CertFacts>): CertFacts => {
  const known = facts.get(cert);
  if (known) return known;
  const fingerprint = fingerprintOf(cert.raw);
  const seen = byFingerprint?.get(fingerprint, NO_OPTIONS);
  if (seen) {
    facts.set(cert, seen);
    return seen;
  }
  const p = new x509.X509Certificate(cert.raw);
  const bc = p.getExtension(x509.BasicConstraintsExtension);
  const ku = p.getExtension(x509.KeyUsagesExtension);
  const eku = p.getExtension(x509.ExtendedKeyUsageExtension);
  const f: CertFacts = {
    subject: cert.subject,
    issuer: cert.issuer,
    cn: p.subjectName.getField('CN')[0] ?? null,
    serial: normalizeSerial(cert.serialNumber),
    fingerprint,
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    isCa: cert.ca,
    pathLength: bc?.pathLength,
    keyUsage: ku ? ku.usages : undefined,
    extKeyUsage: eku ? eku.usages.map(String) : undefined,
    unknownCritical: p.extensions
      .filter((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.type))
      .map((e) => e.type),
    publicKeyPem: keyPem(cert.publicKey),
    pem: cert.toString(),
  };
  facts.set(cert, f);
  byFingerprint?.set(fingerprint, f, NO_OPTIONS);
  return f;
};

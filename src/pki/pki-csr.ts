import { pemOrBase64Reader } from '../core/pem.js';
import { pkiErrors } from './pki-errors.js';
import { x509 } from './pki-x509.js';

export const MAX_CSR_BYTES = 16 * 1024;
export const MAX_CN_LENGTH = 64;

/** A CSR whose signature, subject and key were checked. */
export interface CheckedCsr {
  csr: x509.Pkcs10CertificateRequest;
  cn: string;
  keyKind: 'rsa' | 'ec' | 'ed25519';
}

const csrBase64 = pemOrBase64Reader('(?:NEW )?CERTIFICATE REQUEST');

/**
 * The DER of a PKCS#10 request as EST clients send it: base64 (RFC 7030 §4.2.1; RFC 8951 says to
 * ignore Content-Transfer-Encoding and always expect base64), and leniently PEM or raw DER.
 */
export const csrDerFromBody = (body: Buffer | string): Buffer => {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (bytes.length === 0) throw pkiErrors.badCsr('empty body');
  if (bytes.length > MAX_CSR_BYTES * 2) throw pkiErrors.badCsr('request larger than 32 KiB');
  if (bytes[0] === 0x30) return bytes; // DER SEQUENCE: not base64 text
  const text = bytes.toString('latin1');
  const b64 = csrBase64(text);
  if (b64 === undefined) throw pkiErrors.badCsr('body is not base64');
  return Buffer.from(b64, 'base64');
};

/**
 * Parses and checks a CSR: its self-signature, a subject with a CN of 1..64 characters, and a key
 * Gatehouse issues for (RSA 2048..8192 bits, EC P-256/P-384/P-521, Ed25519).
 */
export const checkCsr = async (der: Uint8Array): Promise<CheckedCsr> => {
  if (der.length > MAX_CSR_BYTES) throw pkiErrors.badCsr('CSR larger than 16 KiB');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (e) {
    throw pkiErrors.badCsr('not a PKCS#10 certificate request', (e as Error).message);
  }
  let signed = false;
  try {
    signed = await csr.verify();
  } catch (e) {
    throw pkiErrors.badCsr('unsupported signature algorithm', (e as Error).message);
  }
  if (!signed) throw pkiErrors.badCsr('signature does not verify');
  const cns = csr.subjectName.getField('CN');
  const cn = cns[0];
  if (cns.length !== 1 || cn === undefined || cn.length < 1 || cn.length > MAX_CN_LENGTH)
    throw pkiErrors.badCsr(`the subject must have exactly one CN of 1..${MAX_CN_LENGTH} characters`);
  // The CN and the subject are stored as text; PostgreSQL text cannot hold U+0000 (UTF8String can).
  if (cn.includes('\u0000') || csr.subject.includes('\u0000'))
    throw pkiErrors.badCsr('the subject must not contain NUL (U+0000)');
  const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string; modulusLength?: number };
  let keyKind: CheckedCsr['keyKind'];
  if (alg.name === 'RSASSA-PKCS1-v1_5' || alg.name === 'RSA-PSS' || alg.name === 'RSA-OAEP') {
    const bits = alg.modulusLength ?? 0;
    if (bits < 2048 || bits > 8192)
      throw pkiErrors.badCsr(`RSA keys must have 2048..8192 bits (got ${bits})`);
    keyKind = 'rsa';
  } else if (alg.name === 'ECDSA' || alg.name === 'ECDH') {
    if (!['P-256', 'P-384', 'P-521'].includes(alg.namedCurve ?? ''))
      throw pkiErrors.badCsr(`unsupported EC curve ${alg.namedCurve ?? '?'} (P-256, P-384 or P-521)`);
    keyKind = 'ec';
  } else if (alg.name === 'Ed25519') {
    keyKind = 'ed25519';
  } else {
    throw pkiErrors.badCsr(`unsupported key algorithm ${alg.name}`);
  }
  return { csr, cn, keyKind };
};

import type { KeyObject } from 'node:crypto';

/**
 * PEM text as clients and proxies send it, read leniently: any white space (a proxy header with
 * its newlines replaced by spaces, CRLF, indentation) may stand between and inside the armour
 * lines. @peculiar/x509's PemConverter only reads the strict form (newline-terminated lines of
 * base64), so it writes the PEM of certificates, CSRs and CRLs (src/pki/pki-x509.ts) but does not
 * read what users paste. Keys are written here: pemBlock for a key known only as its DER (device
 * keys on the auth path and from the factory key generator, where a KeyObject round trip would
 * cost an OpenSSL decode), keyPem for a KeyObject.
 */

/**
 * PEM as OpenSSL writes it: the base64 of the DER (given as bytes, or already as strict base64)
 * in lines of 64 characters, each ending in a newline.
 */
export const pemBlock = (label: string, der: Uint8Array | string): string => {
  const b64 = typeof der === 'string' ? der : Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
};

/**
 * A key's PEM from OpenSSL's own encoder: SubjectPublicKeyInfo ("PUBLIC KEY") for a public key,
 * PKCS#8 ("PRIVATE KEY") for a private one.
 */
export const keyPem = (key: KeyObject): string =>
  key.type === 'public'
    ? key.export({ type: 'spki', format: 'pem' }).toString()
    : key.export({ type: 'pkcs8', format: 'pem' }).toString();

/** The base64 body of a PEM block: its armour lines and whitespace dropped. */
export const pemBase64 = (pem: string): string => pem.replace(/-----[^-]+-----|\s+/g, '');

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The DER of every `CERTIFICATE` block of a text, in order, decoded only as far as it is read
 * (text outside the blocks is ignored; a body that is not a certificate is the parser's to refuse).
 */
export function* pemCertificateDers(text: string): Generator<Buffer> {
  for (const m of text.matchAll(CERTIFICATE_BLOCK)) yield Buffer.from(pemBase64(m[0]), 'base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A reader of one object given as PEM or as bare base64 (EST bodies, pasted CRLs): the body of
 * the first block whose label matches `label` (a regular expression source), else the whole
 * text; white space dropped. Undefined unless what is left is non-empty base64.
 */
export const pemOrBase64Reader = (label: string): ((text: string) => string | undefined) => {
  const block = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`);
  return (text) => {
    const m = block.exec(text);
    const b64 = (m ? (m[1] ?? '') : text).replace(/\s+/g, '');
    return BASE64.test(b64) ? b64 : undefined;
  };
};

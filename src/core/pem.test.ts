import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pemBase64, pemCertificateDers, pemOrBase64Reader } from './pem.js';

const der = randomBytes(300);
const b64 = der.toString('base64');
const block = (label: string, body = b64) =>
  `-----BEGIN ${label}-----\n${body.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;

describe('pemBase64', () => {
  it('drops the armour lines and all white space', () => {
    expect(pemBase64(block('PUBLIC KEY'))).toBe(b64);
    expect(pemBase64(block('CERTIFICATE').replace(/\n/g, '\r\n  '))).toBe(b64);
  });
});

describe('pemCertificateDers', () => {
  it('reads every certificate block in order, with any white space, ignoring the rest', () => {
    const other = randomBytes(40);
    const text = `junk\n${block('CERTIFICATE')}${block('PUBLIC KEY')}${block('CERTIFICATE', other.toString('base64'))}`;
    expect([...pemCertificateDers(text)]).toEqual([der, other]);
    // A proxy header: the newlines replaced by spaces.
    expect([...pemCertificateDers(block('CERTIFICATE').replace(/\n/g, ' '))]).toEqual([der]);
    expect([...pemCertificateDers('nothing here')]).toEqual([]);
  });
});

describe('pemOrBase64Reader', () => {
  const csr = pemOrBase64Reader('(?:NEW )?CERTIFICATE REQUEST');
  it('takes the first matching block, or the whole text as base64', () => {
    expect(csr(block('CERTIFICATE REQUEST'))).toBe(b64);
    expect(csr(block('NEW CERTIFICATE REQUEST'))).toBe(b64);
    expect(csr(` ${b64.replace(/.{1,64}/g, '$&\r\n')}`)).toBe(b64);
  });
  it('is undefined for what is not base64, or empty', () => {
    expect(csr('')).toBeUndefined();
    expect(csr(block('CERTIFICATE REQUEST', ''))).toBeUndefined();
    expect(csr('this is !!! not base64')).toBeUndefined();
    expect(csr(block('CERTIFICATE'))).toBeUndefined();
  });
});

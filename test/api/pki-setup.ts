import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { bearer, type TestServer } from '../helpers/gatehouse.js';
import { type Issued, makeVerificationCert } from '../helpers/openssl.js';

export const PKI = '/api/management/v1/pki';

/** Registers `ca` in the token's tenant and proves possession of its key; returns the CA id. */
export const registerVerifiedCa = async (
  app: TestServer['app'],
  token: string,
  dir: string,
  ca: Issued,
  opts: { verify?: boolean } = {},
): Promise<string> => {
  const reg = await app.inject({
    method: 'POST',
    url: `${PKI}/cas`,
    headers: bearer(token),
    payload: { certificate: ca.pem },
  });
  expect(reg.statusCode, reg.body).toBe(201);
  const { id, verification_code: code } = reg.json() as { id: string; verification_code: string };
  if (opts.verify === false) return id;
  const ok = await app.inject({
    method: 'POST',
    url: `${PKI}/cas/${id}/verification`,
    headers: bearer(token),
    payload: { certificate: makeVerificationCert(dir, ca, code) },
  });
  expect(ok.statusCode, ok.body).toBe(200);
  return id;
};

/** The certificates of a PEM file (leaf first). */
export const x509s = (...issued: Issued[]): X509Certificate[] =>
  issued.map((i) => new X509Certificate(readFileSync(i.crt)));

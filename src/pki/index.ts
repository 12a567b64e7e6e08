import type { Clock } from '../core/clock.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Db } from '../store/store.js';
import { createPkiBuiltinService, type PkiBuiltinService } from './pki-service-builtin.js';
import { createPkiCasService, type PkiCasService } from './pki-service-cas.js';
import { createPkiCredentialsService, type PkiCredentialsService } from './pki-service-credentials.js';
import { createPkiEstService, type PkiEstService } from './pki-service-est.js';
import type { ClientCertVerification } from './pki-types.js';
import { createPkiCaches, type VerifyClientCertificateInput, verifyClientCertificate } from './pki-verify.js';

export { checkCsr } from './pki-csr.js';
export { pkiBuiltinRoutes } from './pki-routes-builtin.js';
export { pkiCaRoutes } from './pki-routes-cas.js';
export { pkiPublicRoutes } from './pki-routes-public.js';
export { caToWire } from './pki-schemas.js';
export type { PkiBuiltinService } from './pki-service-builtin.js';
export type { PkiCasService } from './pki-service-cas.js';
export type { PkiCredentialsService } from './pki-service-credentials.js';
export type { PkiEstService } from './pki-service-est.js';
export type { ClientCertVerification } from './pki-types.js';
export { type VerifyClientCertificateInput, verifyClientCertificate } from './pki-verify.js';
export { x509 } from './pki-x509.js';

export interface Pki {
  cas: PkiCasService;
  builtin: PkiBuiltinService;
  credentials: PkiCredentialsService;
  est: PkiEstService;
  /** verifyClientCertificate against this instance's database, with this instance's caches. */
  verifyClientCertificate(input: VerifyClientCertificateInput): Promise<ClientCertVerification>;
}

/** Builds the PKI domain's services (wired in src/wiring.ts). */
export const createPki = (deps: {
  db: Db;
  clock: Clock;
  box: SecretBox;
  /** Public base URL for the CRL distribution point of issued certificates; unset: none is written. */
  crlBaseUrl: string | undefined;
}): Pki => {
  const { db, clock } = deps;
  const builtin = createPkiBuiltinService({ db, clock, box: deps.box, crlBaseUrl: deps.crlBaseUrl });
  const credentials = createPkiCredentialsService({ db, clock });
  const caches = createPkiCaches();
  return {
    cas: createPkiCasService({ db, clock }),
    builtin,
    credentials,
    est: createPkiEstService({ builtin, credentials }),
    verifyClientCertificate: (input) => verifyClientCertificate(db, input, caches),
  };
};

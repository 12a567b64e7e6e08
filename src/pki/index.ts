import type { Clock } from '../core/clock.js';
import { isUuid } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Module } from '../http/module.js';
import type { Db } from '../store/store.js';
import { findCa } from './pki-repo-cas.js';
import { pkiBuiltinRoutes } from './pki-routes-builtin.js';
import { pkiCaRoutes } from './pki-routes-cas.js';
import { pkiPublicRoutes } from './pki-routes-public.js';
import { createPkiBuiltinService, type PkiBuiltinService } from './pki-service-builtin.js';
import { createPkiCasService, type PkiCasService } from './pki-service-cas.js';
import { createPkiCredentialsService, type PkiCredentialsService } from './pki-service-credentials.js';
import { createPkiEstService, type PkiEstService } from './pki-service-est.js';
import type { ClientCertVerification, DeviceTokenCheck } from './pki-types.js';
import { createPkiCaches, type VerifyClientCertificateInput, verifyClientCertificate } from './pki-verify.js';

export { checkCsr } from './pki-csr.js';
export { caToWire } from './pki-schemas.js';
export type { PkiBuiltinService } from './pki-service-builtin.js';
export type { PkiCasService } from './pki-service-cas.js';
export type { PkiCredentialsService } from './pki-service-credentials.js';
export type { PkiEstService } from './pki-service-est.js';
export type { ClientCertVerification, DeviceTokenCheck } from './pki-types.js';
export { type VerifyClientCertificateInput, verifyClientCertificate } from './pki-verify.js';
export { x509 } from './pki-x509.js';

/**
 * Whether a CA is registered in the tenant: enrollment groups name one. A read of its own, not of
 * the module, so that enrollment (which devauth needs, which this module needs) can be built first.
 */
export const createCaDirectory = (db: Db) => ({
  exists: async (tenantId: string, caId: string): Promise<boolean> =>
    isUuid(caId) && (await findCa(db, tenantId, caId)) !== undefined,
});

export interface PkiModule extends Module {
  cas: PkiCasService;
  builtin: PkiBuiltinService;
  credentials: PkiCredentialsService;
  est: PkiEstService;
  /** verifyClientCertificate against this instance's database, with this instance's caches. */
  verifyClientCertificate(input: VerifyClientCertificateInput): Promise<ClientCertVerification>;
}

/** The PKI domain: CAs and their proof of possession, the built-in CA, EST, client certificates. */
export const createPkiModule = (deps: {
  db: Db;
  clock: Clock;
  box: SecretBox;
  /** Public base URL for the CRL distribution point of issued certificates; unset: none is written. */
  crlBaseUrl: string | undefined;
  deviceTokens: DeviceTokenCheck;
}): PkiModule => {
  const { db, clock } = deps;
  const builtin = createPkiBuiltinService({ db, clock, box: deps.box, crlBaseUrl: deps.crlBaseUrl });
  const credentials = createPkiCredentialsService({ db, clock });
  const caches = createPkiCaches();
  const cas = createPkiCasService({ db, clock });
  const est = createPkiEstService({ builtin, credentials });
  return {
    cas,
    builtin,
    credentials,
    est,
    verifyClientCertificate: (input) => verifyClientCertificate(db, input, caches),
    routes: {
      // EST and the CRL authenticate on their own (credential, device token, client certificate).
      open: [pkiPublicRoutes({ est, builtin, deviceTokens: deps.deviceTokens })],
      management: [pkiCaRoutes(cas), pkiBuiltinRoutes(builtin, credentials)],
    },
  };
};

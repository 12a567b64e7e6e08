import type { DevicePrincipal } from '../devauth/index.js';
import { pkcs7CertsOnlyBase64 } from './pki-ca-crypto.js';
import { checkCsr, csrDerFromBody } from './pki-csr.js';
import { pkiErrors } from './pki-errors.js';
import { consumeCredential } from './pki-repo-credentials.js';
import type { PkiBuiltinService } from './pki-service-builtin.js';
import type { PkiCredentialsService } from './pki-service-credentials.js';
import type { ClientCertVerification } from './pki-types.js';
import { parseOneCertificatePem, x509 } from './pki-x509.js';

/** Who asks for a certificate: an enrollment credential (HTTP Basic) or an accepted device (its token). */
export type EstCaller =
  | { kind: 'credential'; name: string; secret: string }
  | { kind: 'device'; principal: DevicePrincipal }
  | { kind: 'none' };

export interface PkiEstService {
  /** /cacerts: the built-in CA certificate as base64 PKCS#7 certs-only. */
  cacerts(tenantId: string): Promise<string>;
  /** /simpleenroll: a certificate for the CSR, base64 PKCS#7 certs-only. */
  enroll(tenantId: string, caller: EstCaller, body: Buffer): Promise<string>;
  /** /simplereenroll: a new certificate for a client holding a valid one from this built-in CA. */
  reenroll(tenantId: string, clientCert: ClientCertVerification | null, body: Buffer): Promise<string>;
}

export const createPkiEstService = (deps: {
  builtin: PkiBuiltinService;
  credentials: Pick<PkiCredentialsService, 'authenticate'>;
}): PkiEstService => {
  const { builtin } = deps;
  return {
    async cacerts(tenantId) {
      const ca = await builtin.get(tenantId);
      return pkcs7CertsOnlyBase64([new x509.X509Certificate(ca.certPem)]);
    },

    async enroll(tenantId, caller, body) {
      // Authorise before parsing: an anonymous caller learns nothing about its CSR.
      await builtin.get(tenantId);
      let credentialId: string | null = null;
      let deviceId: string | null = null;
      if (caller.kind === 'credential') {
        const c = await deps.credentials.authenticate(tenantId, caller.name, caller.secret);
        if (!c) throw pkiErrors.estUnauthorized('unknown, expired or used-up enrollment credential');
        credentialId = c.id;
      } else if (caller.kind === 'device') {
        if (caller.principal.tenantId !== tenantId)
          throw pkiErrors.estUnauthorized('device token of another tenant');
        deviceId = caller.principal.deviceId;
      } else {
        throw pkiErrors.estUnauthorized('no credentials');
      }
      const csr = await checkCsr(csrDerFromBody(body));
      const id = credentialId;
      const { certificate } = await builtin.issue(tenantId, {
        csr,
        via: 'est',
        credentialId,
        deviceId,
        guard: id
          ? async (tx, nowMs) => {
              if (!(await consumeCredential(tx, id, nowMs)))
                throw pkiErrors.estUnauthorized('enrollment credential used up or expired');
            }
          : undefined,
      });
      return pkcs7CertsOnlyBase64([parseOneCertificatePem(certificate.certPem).raw]);
    },

    async reenroll(tenantId, clientCert, body) {
      const ca = await builtin.get(tenantId);
      if (!clientCert) throw pkiErrors.estNoClientCertificate('no client certificate presented');
      if (!clientCert.ok) throw pkiErrors.estNoClientCertificate(clientCert.reason);
      if (clientCert.tenantId !== tenantId || clientCert.caId !== ca.id)
        throw pkiErrors.estNoClientCertificate('client certificate not issued by this tenant’s built-in CA');
      const current = await builtin.getCertificate(tenantId, clientCert.leaf.serial);
      const csr = await checkCsr(csrDerFromBody(body));
      // RFC 7030 §4.2.2: the subject of a re-enrollment request is the current certificate's.
      const currentCert = new x509.X509Certificate(current.certPem);
      const same =
        Buffer.compare(
          Buffer.from(csr.csr.subjectName.toArrayBuffer()),
          Buffer.from(currentCert.subjectName.toArrayBuffer()),
        ) === 0 || csr.csr.subject === currentCert.subject;
      if (!same) throw pkiErrors.estSubjectMismatch();
      const { certificate } = await builtin.issue(tenantId, {
        csr,
        via: 'est-reenroll',
        deviceId: current.deviceId,
        replacesSerial: current.serial,
      });
      return pkcs7CertsOnlyBase64([parseOneCertificatePem(certificate.certPem).raw]);
    },
  };
};

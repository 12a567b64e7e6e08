import { AppError } from '../core/errors.js';

const err = (code: string, status: number, message: string, detail?: string) =>
  new AppError(code, status, message, detail ? { detail } : {});

/** The realm EST clients see in the 401 challenge (RFC 7030 §3.2.3 uses HTTP authentication). */
export const EST_REALM = 'gatehouse-est';

export const pkiErrors = {
  badCertificate: (message: string, detail?: string) => err('PKI_BAD_CERTIFICATE', 400, message, detail),
  notACa: () =>
    err('PKI_NOT_A_CA', 400, 'certificate is not a CA certificate (basicConstraints cA is not set)'),
  expired: (what = 'certificate') => err('PKI_EXPIRED', 400, `${what} has expired`),
  duplicateCa: () => err('PKI_CA_DUPLICATE', 409, 'this CA certificate is already registered in this tenant'),
  caNotFound: () => err('PKI_CA_NOT_FOUND', 404, 'CA not found'),
  caInUse: () =>
    err('PKI_CA_IN_USE', 409, 'an enrollment group uses this CA: delete the group first (or disable the CA)'),
  alreadyVerified: () => err('PKI_CA_ALREADY_VERIFIED', 409, 'CA is already verified'),
  verificationFailed: (message: string, detail?: string) =>
    err('PKI_VERIFICATION_FAILED', 400, `verification failed: ${message}`, detail),
  builtinNotFound: () =>
    err('PKI_BUILTIN_CA_NOT_FOUND', 404, 'the built-in CA is not enabled for this tenant'),
  builtinExists: () =>
    err('PKI_BUILTIN_CA_EXISTS', 409, 'the built-in CA is already enabled for this tenant'),
  builtinDisabled: () => err('PKI_BUILTIN_CA_DISABLED', 409, 'the built-in CA is disabled'),
  builtinUndeletable: () =>
    err('PKI_BUILTIN_CA_UNDELETABLE', 409, 'the built-in CA cannot be deleted (disable it instead)'),
  badCsr: (message: string, detail?: string) => err('PKI_BAD_CSR', 400, `invalid CSR: ${message}`, detail),
  badCrl: (message: string, detail?: string) => err('PKI_BAD_CRL', 400, `invalid CRL: ${message}`, detail),
  certificateNotFound: () => err('PKI_CERTIFICATE_NOT_FOUND', 404, 'certificate not found'),
  alreadyRevoked: () => err('PKI_CERTIFICATE_REVOKED', 409, 'certificate is already revoked'),
  credentialNotFound: () => err('PKI_CREDENTIAL_NOT_FOUND', 404, 'enrollment credential not found'),
  duplicateCredential: () =>
    err('PKI_CREDENTIAL_DUPLICATE', 409, 'an enrollment credential with this name already exists'),
  badRequest: (message: string) => err('PKI_BAD_REQUEST', 400, message),
  tenantNotFound: () => err('PKI_TENANT_NOT_FOUND', 404, 'not found'),
  /** EST: no or wrong credentials. The challenge makes curl and EST clients retry with Basic. */
  estUnauthorized: (detail: string) =>
    new AppError('EST_UNAUTHORIZED', 401, 'unauthorized', {
      detail,
      headers: { 'WWW-Authenticate': `Basic realm="${EST_REALM}", charset="UTF-8"` },
    }),
  estNoClientCertificate: (detail: string) =>
    err('EST_CLIENT_CERT_REQUIRED', 401, 'a valid client certificate from this tenant is required', detail),
  estSubjectMismatch: () =>
    err(
      'EST_SUBJECT_MISMATCH',
      400,
      'the CSR subject must equal the subject of the certificate being renewed',
    ),
  unsupportedMediaType: () =>
    err('EST_CONTENT_TYPE', 415, "unsupported content type, expected 'application/pkcs10'"),
};

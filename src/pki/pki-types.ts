import type { DevicePrincipal } from '../devauth/index.js';

export const caKinds = ['uploaded', 'builtin'] as const;
export type CaKind = (typeof caKinds)[number];

export const caStatuses = ['unverified', 'verified'] as const;
export type CaStatus = (typeof caStatuses)[number];

export const builtinKeyTypes = ['ec-p256', 'rsa-3072'] as const;
export type BuiltinKeyType = (typeof builtinKeyTypes)[number];

/** A CA registered in one tenant: uploaded (verified by proof of possession) or built-in. */
export interface Ca {
  id: string;
  tenantId: string;
  kind: CaKind;
  name: string | null;
  certPem: string;
  fingerprint: string;
  subject: string;
  issuer: string;
  serial: string;
  notBefore: number;
  notAfter: number;
  status: CaStatus;
  enabled: boolean;
  verificationCode: string | null;
  verificationCodeExpiresAt: number | null;
  verifiedAt: number | null;
  certValidityDays: number | null;
  crl: { der: Buffer; thisUpdate: number; nextUpdate: number | null } | null;
  createdAt: number;
  updatedAt: number;
}

export const issuedVia = ['api', 'est', 'est-reenroll'] as const;
export type IssuedVia = (typeof issuedVia)[number];

/** RFC 5280 CRLReason names accepted by the revoke API. */
export const revocationReasons = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'privilegeWithdrawn',
] as const;
export type RevocationReason = (typeof revocationReasons)[number];

/** A certificate issued by a tenant's built-in CA. */
export interface IssuedCertificate {
  caId: string;
  serial: string;
  tenantId: string;
  subject: string;
  cn: string | null;
  fingerprint: string;
  certPem: string;
  notBefore: number;
  notAfter: number;
  issuedVia: IssuedVia;
  credentialId: string | null;
  deviceId: string | null;
  replacesSerial: string | null;
  revokedAt: number | null;
  revocationReason: RevocationReason | null;
  createdAt: number;
}

export interface EnrollmentCredential {
  id: string;
  tenantId: string;
  name: string;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  createdAt: number;
  lastUsedAt: number | null;
}

/** The verified leaf of a client certificate chain. */
export interface VerifiedLeaf {
  subject: string;
  cn: string | null;
  /** Uppercase hex, no leading zeros. */
  serial: string;
  /** SHA-256 of the DER, lowercase hex. */
  fingerprint: string;
  notAfter: number;
  /** The leaf's public key, SPKI PEM (what a Mender auth request is signed with). */
  publicKeyPem: string;
  pem: string;
}

/** Why a presented chain was refused (stable strings, logged and returned to part C callers). */
export const chainFailures = [
  'no_certificate',
  'leaf_is_ca',
  'not_yet_valid',
  'expired',
  'bad_key_usage',
  'bad_extended_key_usage',
  'unsupported_critical_extension',
  'intermediate_not_ca',
  'path_length_exceeded',
  'chain_too_long',
  'unknown_issuer',
  'ca_unverified',
  'ca_disabled',
  'ca_expired',
  'ambiguous_tenant',
  'revoked',
  'unknown_certificate',
  'malformed_certificate',
] as const;
export type ChainFailure = (typeof chainFailures)[number];

export type ClientCertVerification =
  | { ok: true; tenantId: string; caId: string; caKind: CaKind; leaf: VerifiedLeaf }
  | { ok: false; reason: ChainFailure; detail?: string };

/** Device tokens, checked where a device authenticates with one (EST, the CRL): devauth offers it. */
export interface DeviceTokenCheck {
  checkToken(token: string): Promise<DevicePrincipal | null>;
}

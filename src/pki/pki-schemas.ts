import { type Static, Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { Uuid } from '../http/schemas-common.js';
import type { Ca, EnrollmentCredential, IssuedCertificate } from './pki-types.js';
import { builtinKeyTypes, revocationReasons } from './pki-types.js';

const Pem = (description: string) => Type.String({ minLength: 1, maxLength: 65536, description });
const Time = Type.String({ description: 'RFC 3339' });
const NullableTime = Type.Union([Time, Type.Null()]);

export const CaParams = Type.Object({ id: Uuid });
export const SerialParams = Type.Object({
  serial: Type.String({ maxLength: 64, description: 'serial number, hex' }),
});
export const TenantParams = Type.Object({
  tenantId: Type.String({ maxLength: 64, description: 'tenant id' }),
});

export const RegisterCaBody = Type.Object(
  {
    certificate: Pem('the CA certificate (root or intermediate), PEM'),
    name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export const VerifyCaBody = Type.Object(
  { certificate: Pem('a certificate with CN = the verification code, signed by the CA key, PEM') },
  { additionalProperties: false },
);
export const UpdateCaBody = Type.Object(
  { enabled: Type.Optional(Type.Boolean()), name: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false, minProperties: 1 },
);
export const CrlBody = Type.Object(
  { crl: Type.String({ minLength: 1, maxLength: 1024 * 1024, description: 'CRL, PEM or base64 DER' }) },
  { additionalProperties: false },
);

export const CaWire = Type.Object({
  id: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  kind: Type.Union([Type.Literal('uploaded'), Type.Literal('builtin')]),
  status: Type.Union([Type.Literal('unverified'), Type.Literal('verified')]),
  enabled: Type.Boolean(),
  subject: Type.String(),
  issuer: Type.String(),
  serial: Type.String(),
  fingerprint: Type.String({ description: 'SHA-256 of the DER, hex' }),
  not_before: Time,
  not_after: Time,
  verification_code: Type.Optional(Type.String({ description: 'only while unverified' })),
  verification_code_expires_at: Type.Optional(Time),
  verified_at: NullableTime,
  cert_validity_days: Type.Optional(
    Type.Integer({ description: 'built-in CA: default certificate lifetime' }),
  ),
  crl_this_update: NullableTime,
  crl_next_update: NullableTime,
  certificate: Type.String({ description: 'PEM' }),
  created_at: Time,
  updated_at: Time,
});
export type CaWireT = Static<typeof CaWire>;

export const caToWire = (ca: Ca): CaWireT => ({
  id: ca.id,
  name: ca.name,
  kind: ca.kind,
  status: ca.status,
  enabled: ca.enabled,
  subject: ca.subject,
  issuer: ca.issuer,
  serial: ca.serial,
  fingerprint: ca.fingerprint,
  not_before: toRfc3339(ca.notBefore),
  not_after: toRfc3339(ca.notAfter),
  ...(ca.status === 'unverified' && ca.verificationCode
    ? {
        verification_code: ca.verificationCode,
        verification_code_expires_at: toRfc3339(ca.verificationCodeExpiresAt ?? 0),
      }
    : {}),
  verified_at: ca.verifiedAt === null ? null : toRfc3339(ca.verifiedAt),
  ...(ca.certValidityDays !== null ? { cert_validity_days: ca.certValidityDays } : {}),
  crl_this_update: ca.crl ? toRfc3339(ca.crl.thisUpdate) : null,
  crl_next_update: ca.crl?.nextUpdate ? toRfc3339(ca.crl.nextUpdate) : null,
  certificate: ca.certPem,
  created_at: toRfc3339(ca.createdAt),
  updated_at: toRfc3339(ca.updatedAt),
});

export const EnableBuiltinBody = Type.Object(
  {
    key_type: Type.Optional(Type.Union(builtinKeyTypes.map((k) => Type.Literal(k)))),
    common_name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    ca_validity_days: Type.Optional(Type.Integer({ minimum: 30, maximum: 36500 })),
    cert_validity_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);

export const IssueBody = Type.Object(
  {
    csr: Type.String({ minLength: 1, maxLength: 32768, description: 'PKCS#10 request, PEM or base64 DER' }),
    validity_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);

export const RevokeBody = Type.Object(
  { reason: Type.Optional(Type.Union(revocationReasons.map((r) => Type.Literal(r)))) },
  { additionalProperties: false },
);

export const CertificateListQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('valid'), Type.Literal('revoked')])),
  page: Type.Optional(Type.String({ maxLength: 10, pattern: '^[0-9]*$' })),
  per_page: Type.Optional(Type.String({ maxLength: 10, pattern: '^[0-9]*$' })),
});

export const CertificateWire = Type.Object({
  serial: Type.String(),
  ca_id: Type.String(),
  subject: Type.String(),
  cn: Type.Union([Type.String(), Type.Null()]),
  fingerprint: Type.String(),
  not_before: Time,
  not_after: Time,
  issued_via: Type.String(),
  credential_id: Type.Union([Type.String(), Type.Null()]),
  device_id: Type.Union([Type.String(), Type.Null()]),
  replaces_serial: Type.Union([Type.String(), Type.Null()]),
  revoked_at: NullableTime,
  revocation_reason: Type.Union([Type.String(), Type.Null()]),
  certificate: Type.String({ description: 'PEM' }),
  created_at: Time,
});

export const certToWire = (c: IssuedCertificate): Static<typeof CertificateWire> => ({
  serial: c.serial,
  ca_id: c.caId,
  subject: c.subject,
  cn: c.cn,
  fingerprint: c.fingerprint,
  not_before: toRfc3339(c.notBefore),
  not_after: toRfc3339(c.notAfter),
  issued_via: c.issuedVia,
  credential_id: c.credentialId,
  device_id: c.deviceId,
  replaces_serial: c.replacesSerial,
  revoked_at: c.revokedAt === null ? null : toRfc3339(c.revokedAt),
  revocation_reason: c.revocationReason,
  certificate: c.certPem,
  created_at: toRfc3339(c.createdAt),
});

export const CredentialBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: 'the HTTP Basic user name' }),
    expires_at: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339; unset: never expires' })),
    max_uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

export const CredentialWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  expires_at: NullableTime,
  max_uses: Type.Union([Type.Integer(), Type.Null()]),
  uses: Type.Integer(),
  created_at: Time,
  last_used_at: NullableTime,
});
export const CredentialCreatedWire = Type.Object({
  ...CredentialWire.properties,
  secret: Type.String({ description: 'the HTTP Basic password; shown only here' }),
});

export const credentialToWire = (c: EnrollmentCredential): Static<typeof CredentialWire> => ({
  id: c.id,
  name: c.name,
  expires_at: c.expiresAt === null ? null : toRfc3339(c.expiresAt),
  max_uses: c.maxUses,
  uses: c.uses,
  created_at: toRfc3339(c.createdAt),
  last_used_at: c.lastUsedAt === null ? null : toRfc3339(c.lastUsedAt),
});

export const ClientCertWire = Type.Object({
  tenant_id: Type.String(),
  ca_id: Type.String(),
  ca_kind: Type.String(),
  subject: Type.String(),
  cn: Type.Union([Type.String(), Type.Null()]),
  serial: Type.String(),
  fingerprint: Type.String(),
  not_after: Time,
  source: Type.String({ description: 'tls (Gatehouse listener) or proxy (trusted edge proxy header)' }),
});

import type { Selectable } from 'kysely';
import type { PkiCertificatesTable } from '../store/schema.js';
import { type Executor, num, numOrNull } from '../store/store.js';
import type { IssuedCertificate, IssuedVia, RevocationReason } from './pki-types.js';

const toCert = (r: Selectable<PkiCertificatesTable>): IssuedCertificate => ({
  caId: r.ca_id,
  serial: r.serial,
  tenantId: r.tenant_id,
  subject: r.subject,
  cn: r.cn,
  fingerprint: r.fingerprint,
  certPem: r.cert_pem,
  notBefore: num(r.not_before),
  notAfter: num(r.not_after),
  issuedVia: r.issued_via as IssuedVia,
  credentialId: r.credential_id,
  deviceId: r.device_id,
  replacesSerial: r.replaces_serial,
  revokedAt: numOrNull(r.revoked_at),
  revocationReason: r.revocation_reason as RevocationReason | null,
  createdAt: num(r.created_at),
});

export const insertCertificate = async (ex: Executor, c: IssuedCertificate): Promise<void> => {
  await ex
    .insertInto('pki_certificates')
    .values({
      ca_id: c.caId,
      serial: c.serial,
      tenant_id: c.tenantId,
      subject: c.subject,
      cn: c.cn,
      fingerprint: c.fingerprint,
      cert_pem: c.certPem,
      not_before: c.notBefore,
      not_after: c.notAfter,
      issued_via: c.issuedVia,
      credential_id: c.credentialId,
      device_id: c.deviceId,
      replaces_serial: c.replacesSerial,
      revoked_at: c.revokedAt,
      revocation_reason: c.revocationReason,
      created_at: c.createdAt,
    })
    .execute();
};

export const findCertificate = async (
  ex: Executor,
  tenantId: string,
  serial: string,
): Promise<IssuedCertificate | undefined> => {
  const r = await ex
    .selectFrom('pki_certificates')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('serial', '=', serial)
    .executeTakeFirst();
  return r ? toCert(r) : undefined;
};

/** Revocation state of one certificate of a CA: undefined when the CA never issued it. */
export const certificateRevocation = async (
  ex: Executor,
  caId: string,
  serial: string,
): Promise<{ revokedAt: number | null } | undefined> => {
  const r = await ex
    .selectFrom('pki_certificates')
    .select('revoked_at')
    .where('ca_id', '=', caId)
    .where('serial', '=', serial)
    .executeTakeFirst();
  return r ? { revokedAt: numOrNull(r.revoked_at) } : undefined;
};

export const listCertificates = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number; status?: 'valid' | 'revoked' | undefined; nowMs: number },
): Promise<IssuedCertificate[]> => {
  let sel = ex.selectFrom('pki_certificates').selectAll().where('tenant_id', '=', tenantId);
  if (q.status === 'revoked') sel = sel.where('revoked_at', 'is not', null);
  if (q.status === 'valid') sel = sel.where('revoked_at', 'is', null).where('not_after', '>', q.nowMs);
  const rows = await sel.orderBy('created_at').orderBy('serial').offset(q.offset).limit(q.limit).execute();
  return rows.map(toCert);
};

export const revokeCertificate = async (
  ex: Executor,
  tenantId: string,
  serial: string,
  revocation: { at: number; reason: RevocationReason },
): Promise<boolean> => {
  const r = await ex
    .updateTable('pki_certificates')
    .set({ revoked_at: revocation.at, revocation_reason: revocation.reason })
    .where('tenant_id', '=', tenantId)
    .where('serial', '=', serial)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

/** Revoked, not yet expired certificates of a CA: the CRL's entries. */
export const listRevokedForCrl = async (
  ex: Executor,
  caId: string,
  nowMs: number,
): Promise<{ serial: string; revokedAt: number; reason: RevocationReason }[]> => {
  const rows = await ex
    .selectFrom('pki_certificates')
    .select(['serial', 'revoked_at', 'revocation_reason'])
    .where('ca_id', '=', caId)
    .where('revoked_at', 'is not', null)
    .where('not_after', '>', nowMs)
    .orderBy('revoked_at')
    .execute();
  return rows.map((r) => ({
    serial: r.serial,
    revokedAt: num(r.revoked_at ?? 0),
    reason: (r.revocation_reason ?? 'unspecified') as RevocationReason,
  }));
};

import type { Selectable } from 'kysely';
import type { PkiCasTable } from '../store/schema.js';
import { type Executor, num, numOrNull } from '../store/store.js';
import type { Ca, CaKind, CaStatus } from './pki-types.js';

const toCa = (r: Selectable<PkiCasTable>): Ca => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind as CaKind,
  name: r.name,
  certPem: r.cert_pem,
  fingerprint: r.fingerprint,
  subject: r.subject,
  issuer: r.issuer,
  serial: r.serial,
  notBefore: num(r.not_before),
  notAfter: num(r.not_after),
  status: r.status as CaStatus,
  enabled: r.enabled === 1,
  verificationCode: r.verification_code,
  verificationCodeExpiresAt: numOrNull(r.verification_code_expires_at),
  verifiedAt: numOrNull(r.verified_at),
  certValidityDays: r.cert_validity_days,
  crl:
    r.crl_der === null
      ? null
      : {
          der: Buffer.from(r.crl_der, 'base64'),
          thisUpdate: num(r.crl_this_update ?? 0),
          nextUpdate: numOrNull(r.crl_next_update),
        },
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export interface NewCaRow {
  ca: Omit<Ca, 'crl'>;
  subjectHash: string;
  privateKeySealed: string | null;
}

export const insertCa = async (ex: Executor, row: NewCaRow): Promise<void> => {
  const c = row.ca;
  await ex
    .insertInto('pki_cas')
    .values({
      id: c.id,
      tenant_id: c.tenantId,
      kind: c.kind,
      name: c.name,
      cert_pem: c.certPem,
      fingerprint: c.fingerprint,
      subject: c.subject,
      subject_hash: row.subjectHash,
      issuer: c.issuer,
      serial: c.serial,
      not_before: c.notBefore,
      not_after: c.notAfter,
      status: c.status,
      enabled: c.enabled ? 1 : 0,
      verification_code: c.verificationCode,
      verification_code_expires_at: c.verificationCodeExpiresAt,
      verified_at: c.verifiedAt,
      private_key_sealed: row.privateKeySealed,
      cert_validity_days: c.certValidityDays,
      crl_der: null,
      crl_this_update: null,
      crl_next_update: null,
      created_at: c.createdAt,
      updated_at: c.updatedAt,
    })
    .execute();
};

export const findCa = async (ex: Executor, tenantId: string, id: string): Promise<Ca | undefined> => {
  const r = await ex
    .selectFrom('pki_cas')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toCa(r) : undefined;
};

export const findBuiltinCa = async (ex: Executor, tenantId: string): Promise<Ca | undefined> => {
  const r = await ex
    .selectFrom('pki_cas')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', 'builtin')
    .executeTakeFirst();
  return r ? toCa(r) : undefined;
};

/** The sealed private key of a built-in CA. */
export const findCaPrivateKey = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<string | null> => {
  const r = await ex
    .selectFrom('pki_cas')
    .select('private_key_sealed')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r?.private_key_sealed ?? null;
};

export const listCas = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number },
): Promise<Ca[]> => {
  const rows = await ex
    .selectFrom('pki_cas')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('created_at')
    .orderBy('id')
    .offset(q.offset)
    .limit(q.limit)
    .execute();
  return rows.map(toCa);
};

/** Registered CAs (every tenant, or one) whose subject is the given name: issuer candidates. */
export const findCasBySubjectHash = async (
  ex: Executor,
  subjectHash: string,
  tenantId?: string,
): Promise<Ca[]> => {
  let q = ex.selectFrom('pki_cas').selectAll().where('subject_hash', '=', subjectHash);
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  return (await q.orderBy('created_at').limit(50).execute()).map(toCa);
};

export const updateCa = async (
  ex: Executor,
  tenantId: string,
  id: string,
  patch: Partial<{
    name: string | null;
    enabled: boolean;
    status: CaStatus;
    verificationCode: string | null;
    verificationCodeExpiresAt: number | null;
    verifiedAt: number | null;
    crl: { der: Buffer; thisUpdate: number; nextUpdate: number | null };
  }> & { updatedAt: number },
  /** Only update while the row still has this verification code (single use under concurrency). */
  expectCode?: string,
): Promise<boolean> => {
  let q = ex
    .updateTable('pki_cas')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.verificationCode !== undefined ? { verification_code: patch.verificationCode } : {}),
      ...(patch.verificationCodeExpiresAt !== undefined
        ? { verification_code_expires_at: patch.verificationCodeExpiresAt }
        : {}),
      ...(patch.verifiedAt !== undefined ? { verified_at: patch.verifiedAt } : {}),
      ...(patch.crl !== undefined
        ? {
            crl_der: patch.crl.der.toString('base64'),
            crl_this_update: patch.crl.thisUpdate,
            crl_next_update: patch.crl.nextUpdate,
          }
        : {}),
      updated_at: patch.updatedAt,
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id);
  if (expectCode !== undefined) q = q.where('verification_code', '=', expectCode);
  // A newer CRL never gets replaced by an older one (two processes regenerating at once).
  if (patch.crl !== undefined)
    q = q.where((eb) =>
      eb.or([eb('crl_this_update', 'is', null), eb('crl_this_update', '<', patch.crl?.thisUpdate ?? 0)]),
    );
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

export const deleteCa = async (ex: Executor, tenantId: string, id: string): Promise<boolean> => {
  const r = await ex
    .deleteFrom('pki_cas')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('kind', '=', 'uploaded')
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
};

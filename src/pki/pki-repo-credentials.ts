import type { Selectable } from 'kysely';
import type { PkiEnrollmentCredentialsTable } from '../store/schema.js';
import { type Executor, num, numOrNull } from '../store/store.js';
import type { EnrollmentCredential } from './pki-types.js';

const toCredential = (r: Selectable<PkiEnrollmentCredentialsTable>): EnrollmentCredential => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  expiresAt: numOrNull(r.expires_at),
  maxUses: r.max_uses,
  uses: r.uses,
  createdAt: num(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
});

export const insertCredential = async (
  ex: Executor,
  c: EnrollmentCredential,
  secretHash: string,
): Promise<void> => {
  await ex
    .insertInto('pki_enrollment_credentials')
    .values({
      id: c.id,
      tenant_id: c.tenantId,
      name: c.name,
      secret_hash: secretHash,
      expires_at: c.expiresAt,
      max_uses: c.maxUses,
      uses: c.uses,
      created_at: c.createdAt,
      last_used_at: c.lastUsedAt,
    })
    .execute();
};

export const listCredentials = async (ex: Executor, tenantId: string): Promise<EnrollmentCredential[]> => {
  const rows = await ex
    .selectFrom('pki_enrollment_credentials')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .limit(1000)
    .execute();
  return rows.map(toCredential);
};

export const findCredentialByName = async (
  ex: Executor,
  tenantId: string,
  name: string,
): Promise<{ credential: EnrollmentCredential; secretHash: string } | undefined> => {
  const r = await ex
    .selectFrom('pki_enrollment_credentials')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .executeTakeFirst();
  return r ? { credential: toCredential(r), secretHash: r.secret_hash } : undefined;
};

/**
 * Counts one use, only while the credential is still usable (not expired, below its limit), so
 * two enrollments racing for the last use cannot both succeed.
 */
export const consumeCredential = async (ex: Executor, id: string, nowMs: number): Promise<boolean> => {
  const r = await ex
    .updateTable('pki_enrollment_credentials')
    .set((eb) => ({ uses: eb('uses', '+', 1), last_used_at: nowMs }))
    .where('id', '=', id)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowMs)]))
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

export const deleteCredential = async (ex: Executor, tenantId: string, id: string): Promise<boolean> => {
  const r = await ex
    .deleteFrom('pki_enrollment_credentials')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
};

import type { Selectable } from 'kysely';
import type { EnrollmentRegistrationsTable } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { Registration } from './enrollment-types.js';

const toRegistration = (r: Selectable<EnrollmentRegistrationsTable>): Registration => ({
  deviceId: r.device_id,
  tenantId: r.tenant_id,
  registrationId: r.registration_id,
  caId: r.ca_id,
  groupId: r.group_id,
  individualId: r.individual_id,
  certSubject: r.cert_subject,
  certSerial: r.cert_serial,
  certFingerprint: r.cert_fingerprint,
  certNotAfter: num(r.cert_not_after),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

/** Records (or, on re-enrollment with a new certificate, updates) a device's registration. */
export const upsertRegistration = async (ex: Executor, r: Registration): Promise<void> => {
  const changing = {
    registration_id: r.registrationId,
    ca_id: r.caId,
    group_id: r.groupId,
    individual_id: r.individualId,
    cert_subject: r.certSubject,
    cert_serial: r.certSerial,
    cert_fingerprint: r.certFingerprint,
    cert_not_after: r.certNotAfter,
    updated_at: r.updatedAt,
  };
  await ex
    .insertInto('enrollment_registrations')
    .values({ device_id: r.deviceId, tenant_id: r.tenantId, created_at: r.createdAt, ...changing })
    .onConflict((oc) => oc.column('device_id').doUpdateSet(changing))
    .execute();
};

export const findRegistration = async (
  ex: Executor,
  tenantId: string,
  deviceId: string,
): Promise<Registration | undefined> => {
  const r = await ex
    .selectFrom('enrollment_registrations')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return r ? toRegistration(r) : undefined;
};

export const listRegistrations = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number; groupId?: string | undefined },
): Promise<{ registrations: Registration[]; total: number }> => {
  let base = ex.selectFrom('enrollment_registrations').where('tenant_id', '=', tenantId);
  if (q.groupId !== undefined) base = base.where('group_id', '=', q.groupId);
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('updated_at', 'desc')
      .orderBy('device_id')
      .offset(q.offset)
      .limit(q.limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { registrations: rows.map(toRegistration), total: num(count.n) };
};

export const deleteRegistration = async (ex: Executor, deviceId: string): Promise<void> => {
  await ex.deleteFrom('enrollment_registrations').where('device_id', '=', deviceId).execute();
};

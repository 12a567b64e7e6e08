import type { Selectable } from 'kysely';
import type { EnrollmentIndividualsTable } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { IndividualEnrollment } from './enrollment-types.js';

const toIndividual = (r: Selectable<EnrollmentIndividualsTable>): IndividualEnrollment => ({
  id: r.id,
  tenantId: r.tenant_id,
  registrationId: r.registration_id,
  groupId: r.group_id,
  enabled: num(r.enabled) === 1,
  certificateFingerprint: r.certificate_fingerprint,
  inventoryGroup: r.inventory_group,
  tags: r.tags === null ? null : (JSON.parse(r.tags) as Record<string, string>),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const toRow = (e: IndividualEnrollment) => ({
  registration_id: e.registrationId,
  group_id: e.groupId,
  enabled: e.enabled ? 1 : 0,
  certificate_fingerprint: e.certificateFingerprint,
  inventory_group: e.inventoryGroup,
  tags: e.tags === null ? null : JSON.stringify(e.tags),
  updated_at: e.updatedAt,
});

export const insertIndividual = async (ex: Executor, e: IndividualEnrollment): Promise<void> => {
  await ex
    .insertInto('enrollment_individuals')
    .values({ id: e.id, tenant_id: e.tenantId, created_at: e.createdAt, ...toRow(e) })
    .execute();
};

export const updateIndividual = async (ex: Executor, e: IndividualEnrollment): Promise<void> => {
  await ex
    .updateTable('enrollment_individuals')
    .set(toRow(e))
    .where('tenant_id', '=', e.tenantId)
    .where('id', '=', e.id)
    .execute();
};

export const findIndividual = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<IndividualEnrollment | undefined> => {
  const r = await ex
    .selectFrom('enrollment_individuals')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toIndividual(r) : undefined;
};

export const findIndividualByRegistration = async (
  ex: Executor,
  tenantId: string,
  registrationId: string,
): Promise<IndividualEnrollment | undefined> => {
  const r = await ex
    .selectFrom('enrollment_individuals')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('registration_id', '=', registrationId)
    .executeTakeFirst();
  return r ? toIndividual(r) : undefined;
};

export const listIndividuals = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number; groupId?: string | undefined },
): Promise<{ individuals: IndividualEnrollment[]; total: number }> => {
  let base = ex.selectFrom('enrollment_individuals').where('tenant_id', '=', tenantId);
  if (q.groupId !== undefined) base = base.where('group_id', '=', q.groupId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('created_at').orderBy('id').offset(q.offset).limit(q.limit).execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { individuals: rows.map(toIndividual), total: num(count.n) };
};

export const deleteIndividual = async (ex: Executor, tenantId: string, id: string): Promise<void> => {
  await ex
    .deleteFrom('enrollment_individuals')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
};

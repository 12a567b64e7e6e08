import type { Selectable } from 'kysely';
import type { EnrollmentGroupsTable } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { BootstrapTemplate, EnrollmentGroup, IdentitySource } from './enrollment-types.js';

const withHeld = (t: Omit<BootstrapTemplate, 'held'> & { held?: boolean | null }): BootstrapTemplate => ({
  ...t,
  held: t.held ?? null,
});

const toGroup = (r: Selectable<EnrollmentGroupsTable>): EnrollmentGroup => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  caId: r.ca_id,
  enabled: num(r.enabled) === 1,
  identityAttribute: r.identity_attribute,
  identitySource: r.identity_source as IdentitySource,
  inventoryGroup: r.inventory_group,
  tags: JSON.parse(r.tags) as Record<string, string>,
  // `held` is absent from templates a migration has not rewritten (0016 adds it): the default.
  bootstrap:
    r.bootstrap === null
      ? null
      : withHeld(JSON.parse(r.bootstrap) as Omit<BootstrapTemplate, 'held'> & { held?: boolean | null }),
  allocationWebhookId: r.allocation_webhook_id,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

const toRow = (g: EnrollmentGroup) => ({
  name: g.name,
  ca_id: g.caId,
  enabled: g.enabled ? 1 : 0,
  identity_attribute: g.identityAttribute,
  identity_source: g.identitySource,
  inventory_group: g.inventoryGroup,
  tags: JSON.stringify(g.tags),
  bootstrap: g.bootstrap === null ? null : JSON.stringify(g.bootstrap),
  allocation_webhook_id: g.allocationWebhookId,
  updated_at: g.updatedAt,
});

export const insertGroup = async (ex: Executor, g: EnrollmentGroup): Promise<void> => {
  await ex
    .insertInto('enrollment_groups')
    .values({ id: g.id, tenant_id: g.tenantId, created_at: g.createdAt, ...toRow(g) })
    .execute();
};

export const updateGroup = async (ex: Executor, g: EnrollmentGroup): Promise<void> => {
  await ex
    .updateTable('enrollment_groups')
    .set(toRow(g))
    .where('tenant_id', '=', g.tenantId)
    .where('id', '=', g.id)
    .execute();
};

export const findGroup = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<EnrollmentGroup | undefined> => {
  const r = await ex
    .selectFrom('enrollment_groups')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toGroup(r) : undefined;
};

/** The group of a CA (at most one: unique per tenant and CA). */
export const findGroupByCa = async (
  ex: Executor,
  tenantId: string,
  caId: string,
): Promise<EnrollmentGroup | undefined> => {
  const r = await ex
    .selectFrom('enrollment_groups')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('ca_id', '=', caId)
    .executeTakeFirst();
  return r ? toGroup(r) : undefined;
};

export const listGroups = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number; caId?: string | undefined },
): Promise<{ groups: EnrollmentGroup[]; total: number }> => {
  let base = ex.selectFrom('enrollment_groups').where('tenant_id', '=', tenantId);
  if (q.caId !== undefined) base = base.where('ca_id', '=', q.caId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('created_at').orderBy('id').offset(q.offset).limit(q.limit).execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { groups: rows.map(toGroup), total: num(count.n) };
};

export const countGroups = async (ex: Executor, tenantId: string): Promise<number> => {
  const r = await ex
    .selectFrom('enrollment_groups')
    .where('tenant_id', '=', tenantId)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return num(r.n);
};

export const deleteGroup = async (ex: Executor, tenantId: string, id: string): Promise<void> => {
  await ex.deleteFrom('enrollment_groups').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
};

/** Whether a name or CA is taken by another group (checked before writing, so PG never aborts). */
export const groupClash = async (
  ex: Executor,
  g: { tenantId: string; id: string; name: string; caId: string },
): Promise<'name' | 'ca' | undefined> => {
  const rows = await ex
    .selectFrom('enrollment_groups')
    .select(['name', 'ca_id'])
    .where('tenant_id', '=', g.tenantId)
    .where('id', '!=', g.id)
    .where((eb) => eb.or([eb('name', '=', g.name), eb('ca_id', '=', g.caId)]))
    .execute();
  if (rows.some((r) => r.name === g.name)) return 'name';
  if (rows.some((r) => r.ca_id === g.caId)) return 'ca';
  return undefined;
};

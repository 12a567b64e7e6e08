import type { Selectable } from 'kysely';
import type { BootstrapChannelsTable } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { Channel } from './bootstrap-types.js';

const toChannel = (r: Selectable<BootstrapChannelsTable>): Channel => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const insertChannel = async (ex: Executor, c: Channel): Promise<void> => {
  await ex
    .insertInto('bootstrap_channels')
    .values({
      id: c.id,
      tenant_id: c.tenantId,
      name: c.name,
      metadata: JSON.stringify(c.metadata),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
    })
    .execute();
};

export const findChannel = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<Channel | undefined> => {
  const r = await ex
    .selectFrom('bootstrap_channels')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toChannel(r) : undefined;
};

export const listChannels = async (
  ex: Executor,
  tenantId: string,
  q: { offset: number; limit: number },
): Promise<{ channels: Channel[]; total: number }> => {
  const base = ex.selectFrom('bootstrap_channels').where('tenant_id', '=', tenantId);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('name').orderBy('id').offset(q.offset).limit(q.limit).execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { channels: rows.map(toChannel), total: num(count.n) };
};

export const updateChannel = async (
  ex: Executor,
  tenantId: string,
  id: string,
  patch: { name: string; metadata: Record<string, unknown>; updatedAt: number },
): Promise<boolean> => {
  const r = await ex
    .updateTable('bootstrap_channels')
    .set({ name: patch.name, metadata: JSON.stringify(patch.metadata), updated_at: patch.updatedAt })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

export const deleteChannel = async (ex: Executor, tenantId: string, id: string): Promise<boolean> => {
  const r = await ex
    .deleteFrom('bootstrap_channels')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
};

/** The ids among `ids` that are channels of the tenant. */
export const existingChannelIds = async (
  ex: Executor,
  tenantId: string,
  ids: string[],
): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const rows = await ex
    .selectFrom('bootstrap_channels')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
  return new Set(rows.map((r) => r.id));
};

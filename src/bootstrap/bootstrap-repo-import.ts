import type { Executor } from '../store/store.js';
import { configRow, toConfigRecord } from './bootstrap-repo-configs.js';
import type { ConfigRecord } from './bootstrap-types.js';

/**
 * The set-wise queries of `bootstrap import`: one statement per batch of rows instead of one per
 * row, so that 20,000 rows take seconds. IN lists and multi-row inserts are cut into chunks that
 * stay far below both dialects' limits on bound parameters (SQLite 32,766, PostgreSQL 65,535).
 */
const CHUNK = 500;

const chunks = <T>(items: readonly T[], size = CHUNK): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** The tenant's configs with these external ids. */
export const configsByExternalIds = async (
  ex: Executor,
  tenantId: string,
  externalIds: readonly string[],
): Promise<ConfigRecord[]> => {
  const out: ConfigRecord[] = [];
  for (const part of chunks(externalIds)) {
    const rows = await ex
      .selectFrom('bootstrap_configs')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('external_id', 'in', part)
      .execute();
    out.push(...rows.map(toConfigRecord));
  }
  return out;
};

/** The channel ids each config lists. */
export const channelIdsOfConfigs = async (
  ex: Executor,
  configIds: readonly string[],
): Promise<Map<string, string[]>> => {
  const out = new Map<string, string[]>(configIds.map((id) => [id, []]));
  for (const part of chunks(configIds)) {
    const rows = await ex
      .selectFrom('bootstrap_connections')
      .select(['config_id', 'channel_id'])
      .where('config_id', 'in', part)
      .execute();
    for (const r of rows) out.get(r.config_id)?.push(r.channel_id);
  }
  return out;
};

/**
 * Who holds each of these values already: value → the holder's external id, or null when the
 * holder is in another tenant (client ids and device links are unique across tenants).
 */
export const holdersOf = async (
  ex: Executor,
  tenantId: string,
  column: 'id' | 'name' | 'device_id',
  values: readonly string[],
): Promise<Map<string, string | null>> => {
  const out = new Map<string, string | null>();
  for (const part of chunks(values)) {
    let q = ex
      .selectFrom('bootstrap_configs')
      .select(['id', 'name', 'device_id', 'external_id', 'tenant_id'])
      .where(column, 'in', part);
    // Client ids and device links are unique across tenants; names within one.
    if (column === 'name') q = q.where('tenant_id', '=', tenantId);
    for (const r of await q.execute()) {
      const key = r[column];
      if (key !== null) out.set(key, r.tenant_id === tenantId ? r.external_id : null);
    }
  }
  return out;
};

/** Inserts new configs, several per statement. */
export const insertConfigs = async (ex: Executor, records: readonly ConfigRecord[]): Promise<void> => {
  for (const part of chunks(records, 200)) {
    await ex.insertInto('bootstrap_configs').values(part.map(configRow)).execute();
  }
};

/** Connects new configs to their channels (`active` = the config's state). */
export const insertConnections = async (
  ex: Executor,
  rows: readonly { configId: string; channelId: string; tenantId: string; active: boolean; nowMs: number }[],
): Promise<void> => {
  for (const part of chunks(rows)) {
    await ex
      .insertInto('bootstrap_connections')
      .values(
        part.map((r) => ({
          config_id: r.configId,
          channel_id: r.channelId,
          tenant_id: r.tenantId,
          active: r.active ? 1 : 0,
          updated_at: r.nowMs,
        })),
      )
      .execute();
  }
};

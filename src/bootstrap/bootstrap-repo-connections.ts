import { sql } from 'kysely';
import { dialectOf } from '../store/dialect.js';
import type { TableRow } from '../store/schema.js';
import type { Executor } from '../store/store.js';
import type { ConfigChannel, DeliveredChannel } from './bootstrap-types.js';

type JoinedRow = TableRow<'bootstrap_connections', 'config_id' | 'active'> &
  TableRow<'bootstrap_channels', 'id' | 'name' | 'metadata'>;

const toConfigChannel = (r: JoinedRow): ConfigChannel => ({
  id: r.id,
  name: r.name,
  metadata: JSON.parse(r.metadata) as Record<string, unknown>,
  active: Number(r.active) === 1,
});

const joined = (ex: Executor) =>
  ex
    .selectFrom('bootstrap_connections as c')
    .innerJoin('bootstrap_channels as ch', 'ch.id', 'c.channel_id')
    .select(['c.config_id', 'ch.id', 'ch.name', 'ch.metadata', 'c.active']);

/** The channels each config lists, by config id (ordered by channel name). */
export const channelsOfConfigs = async (
  ex: Executor,
  configIds: string[],
): Promise<Map<string, ConfigChannel[]>> => {
  const out = new Map<string, ConfigChannel[]>(configIds.map((id) => [id, []]));
  if (configIds.length === 0) return out;
  const rows = await joined(ex)
    .where('c.config_id', 'in', configIds)
    .orderBy('ch.name')
    .orderBy('ch.id')
    .execute();
  for (const r of rows) out.get(r.config_id)?.push(toConfigChannel(r));
  return out;
};

/**
 * The channels a `bootstrap_configs` row lists, as one JSON array of `[id, name, metadata text]`
 * ordered by channel name then id: a column of the device paths' config read, so a fetch reads
 * its config and channels in one statement. Parse it with deliveredChannels.
 */
export const channelsColumn = (ex: Executor) => {
  const from = sql`from bootstrap_connections c join bootstrap_channels ch on ch.id = c.channel_id where c.config_id = bootstrap_configs.id`;
  return dialectOf(ex) === 'postgres'
    ? sql<unknown>`(select coalesce(json_agg(json_build_array(ch.id, ch.name, ch.metadata) order by ch.name, ch.id), '[]'::json) ${from})`
    : sql<unknown>`(select json_group_array(json_array(ch.id, ch.name, ch.metadata) order by ch.name, ch.id) ${from})`;
};

/** The channelsColumn value of a row (SQLite: JSON text; PostgreSQL: already parsed). */
export const deliveredChannels = (column: unknown): DeliveredChannel[] =>
  ((typeof column === 'string' ? JSON.parse(column) : column) as [string, string, string][]).map(
    ([id, name, metadata]) => ({
      id,
      name,
      metadata: JSON.parse(metadata) as Record<string, unknown>,
    }),
  );

/**
 * Makes the config list exactly `channelIds`: removed ones are deleted, new ones get `active`
 * (the config's state), kept ones keep theirs. Returns the ids added and removed.
 */
export const replaceConnections = async (
  tx: Executor,
  tenantId: string,
  configId: string,
  channelIds: string[],
  active: boolean,
  nowMs: number,
): Promise<{ added: string[]; removed: string[] }> => {
  const current = new Set(
    (
      await tx
        .selectFrom('bootstrap_connections')
        .select('channel_id')
        .where('config_id', '=', configId)
        .execute()
    ).map((r) => r.channel_id),
  );
  const wanted = new Set(channelIds);
  const removed = [...current].filter((id) => !wanted.has(id));
  const added = [...wanted].filter((id) => !current.has(id));
  if (removed.length > 0) {
    await tx
      .deleteFrom('bootstrap_connections')
      .where('config_id', '=', configId)
      .where('channel_id', 'in', removed)
      .execute();
  }
  if (added.length > 0) {
    await tx
      .insertInto('bootstrap_connections')
      .values(
        added.map((channelId) => ({
          config_id: configId,
          channel_id: channelId,
          tenant_id: tenantId,
          active: active ? 1 : 0,
          updated_at: nowMs,
        })),
      )
      .execute();
  }
  return { added, removed };
};

/** Connects (or disconnects) the config's client to every channel it lists. */
export const setConnectionsActive = async (
  tx: Executor,
  configId: string,
  active: boolean,
  nowMs: number,
): Promise<void> => {
  await tx
    .updateTable('bootstrap_connections')
    .set({ active: active ? 1 : 0, updated_at: nowMs })
    .where('config_id', '=', configId)
    .execute();
};

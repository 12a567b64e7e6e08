import { type Selectable, sql } from 'kysely';
import { prepareQuery } from '../store/prepared.js';
import type { BootstrapConfigsTable } from '../store/schema.js';
import { type Executor, num, type Store } from '../store/store.js';
import { channelsColumn, deliveredChannels } from './bootstrap-repo-connections.js';
import type { ConfigRecord, ConfigState, DeliverableRecord, TemplateMode } from './bootstrap-types.js';

type Row = Selectable<BootstrapConfigsTable>;

export const toConfigRecord = (r: Row): ConfigRecord => ({
  config: {
    id: r.id,
    tenantId: r.tenant_id,
    externalId: r.external_id,
    name: r.name,
    content: r.content,
    contentTemplate: r.content_template as TemplateMode,
    clientCert: r.client_cert,
    caCert: r.ca_cert,
    hasClientKey: r.client_key_sealed !== null,
    state: Number(r.state) === 1 ? 1 : 0,
    held: Number(r.held) === 1,
    deviceId: r.device_id,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  },
  secrets: {
    externalKeyHash: r.external_key_hash,
    externalKeySealed: r.external_key_sealed,
    clientSecretHash: r.client_secret_hash,
    clientSecretSealed: r.client_secret_sealed,
    clientKeySealed: r.client_key_sealed,
  },
});

/** A config as its bootstrap_configs row (one mapper for single and bulk inserts). */
export const configRow = ({ config: c, secrets: s }: ConfigRecord) => ({
  id: c.id,
  tenant_id: c.tenantId,
  external_id: c.externalId,
  external_key_hash: s.externalKeyHash,
  external_key_sealed: s.externalKeySealed,
  client_secret_hash: s.clientSecretHash,
  client_secret_sealed: s.clientSecretSealed,
  client_key_sealed: s.clientKeySealed,
  client_cert: c.clientCert,
  ca_cert: c.caCert,
  name: c.name,
  content: c.content,
  content_template: c.contentTemplate,
  state: c.state,
  held: c.held ? 1 : 0,
  device_id: c.deviceId,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
});

export const insertConfig = async (ex: Executor, record: ConfigRecord): Promise<void> => {
  await ex.insertInto('bootstrap_configs').values(configRow(record)).execute();
};

export const findConfig = async (
  ex: Executor,
  tenantId: string,
  id: string,
): Promise<ConfigRecord | undefined> => {
  const r = await ex
    .selectFrom('bootstrap_configs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toConfigRecord(r) : undefined;
};

/**
 * Lookups on the device path, compiled once (see store/prepared.ts). On SQLite's main connection
 * (`writer`): every bootstrap request writes (its event). The lookups that lead to a delivery read
 * the config's channels in the same statement (channelsColumn).
 */
export const prepareDeviceLookups = (store: Store) => {
  const db = store.db;
  const configs = () => db.selectFrom('bootstrap_configs').selectAll();
  const deliverable = () => configs().select(channelsColumn(db).as('channels'));
  const toDeliverable = (r: Row & { channels: unknown }): DeliverableRecord => ({
    ...toConfigRecord(r),
    channels: deliveredChannels(r.channels),
  });
  const byExternalId = prepareQuery(
    store,
    (externalId: string) =>
      deliverable()
        .where('external_id', '=', externalId)
        .orderBy('id')
        // A literal LIMIT: with a bound one SQLite takes a slower sorting path (about 3× the read).
        .limit(sql.lit(10)),
    1,
    'writer',
  );
  const byTenantExternalId = prepareQuery(
    store,
    (tenantId: string, externalId: string) =>
      configs().where('tenant_id', '=', tenantId).where('external_id', '=', externalId),
    2,
    'writer',
  );
  const byId = prepareQuery(
    store,
    (tenantId: string, id: string) => deliverable().where('tenant_id', '=', tenantId).where('id', '=', id),
    2,
    'writer',
  );
  const byDevice = prepareQuery(
    store,
    (tenantId: string, deviceId: string) =>
      deliverable().where('tenant_id', '=', tenantId).where('device_id', '=', deviceId),
    2,
    'writer',
  );
  return {
    /** Every tenant's config with this external id (Magistrala's device route names no tenant). */
    byExternalId: async (externalId: string) => (await byExternalId(externalId)).map(toDeliverable),
    byTenantExternalId: async (tenantId: string, externalId: string) =>
      (await byTenantExternalId(tenantId, externalId)).map(toConfigRecord)[0],
    byId: async (tenantId: string, id: string) => (await byId(tenantId, id)).map(toDeliverable)[0],
    byDevice: async (tenantId: string, deviceId: string) =>
      (await byDevice(tenantId, deviceId)).map(toDeliverable)[0],
  };
};

export interface ConfigFilter {
  state?: ConfigState;
  held?: boolean;
  externalId?: string;
  clientId?: string;
  clientSecretHash?: string;
  /** Case-insensitive substring of the name. */
  name?: string;
  /** The linked Gatehouse device. */
  deviceId?: string;
}

export const listConfigRecords = async (
  ex: Executor,
  tenantId: string,
  f: ConfigFilter,
  page: { offset: number; limit: number },
): Promise<{ records: ConfigRecord[]; total: number }> => {
  let q = ex.selectFrom('bootstrap_configs').where('tenant_id', '=', tenantId);
  if (f.state !== undefined) q = q.where('state', '=', f.state);
  if (f.held !== undefined) q = q.where('held', '=', f.held ? 1 : 0);
  if (f.externalId !== undefined) q = q.where('external_id', '=', f.externalId);
  if (f.clientId !== undefined) q = q.where('id', '=', f.clientId);
  if (f.deviceId !== undefined) q = q.where('device_id', '=', f.deviceId);
  if (f.clientSecretHash !== undefined) q = q.where('client_secret_hash', '=', f.clientSecretHash);
  if (f.name !== undefined) {
    const pattern = `%${f.name.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<boolean>`lower(name) like ${pattern} escape '\\'`);
  }
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('id').offset(page.offset).limit(page.limit).execute(),
    q.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { records: rows.map(toConfigRecord), total: num(count.n) };
};

export type ConfigPatch = Partial<
  Pick<
    Row,
    'name' | 'content' | 'content_template' | 'client_cert' | 'ca_cert' | 'client_key_sealed' | 'device_id'
  >
> & { state?: ConfigState; held?: 0 | 1 };

export const updateConfigRow = async (
  ex: Executor,
  tenantId: string,
  id: string,
  patch: ConfigPatch,
  nowMs: number,
): Promise<boolean> => {
  const r = await ex
    .updateTable('bootstrap_configs')
    .set({ ...patch, updated_at: nowMs })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
};

export const deleteConfigRow = async (ex: Executor, tenantId: string, id: string): Promise<boolean> => {
  const r = await ex
    .deleteFrom('bootstrap_configs')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
};

/** Whether new configs of the tenant start held (no settings row: no, Magistrala's behaviour). */
export const readHoldNewConfigs = async (ex: Executor, tenantId: string): Promise<boolean> => {
  const r = await ex
    .selectFrom('bootstrap_settings')
    .select('hold_new_configs')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return r !== undefined && Number(r.hold_new_configs) === 1;
};

export const writeHoldNewConfigs = async (
  ex: Executor,
  tenantId: string,
  hold: boolean,
  nowMs: number,
): Promise<void> => {
  await ex
    .insertInto('bootstrap_settings')
    .values({ tenant_id: tenantId, hold_new_configs: hold ? 1 : 0, updated_at: nowMs })
    .onConflict((oc) =>
      oc.column('tenant_id').doUpdateSet({ hold_new_configs: hold ? 1 : 0, updated_at: nowMs }),
    )
    .execute();
};

/** Whether a config other than `exceptId` (of `tenantId`, if given) has `value` in `col`: which constraint a write hit. */
export const otherConfigHas = async (
  ex: Executor,
  p: {
    col: 'id' | 'external_id' | 'name' | 'device_id';
    value: string;
    exceptId: string;
    tenantId: string | undefined;
  },
): Promise<boolean> => {
  let q = ex
    .selectFrom('bootstrap_configs')
    .select('id')
    .where(p.col, '=', p.value)
    .where('id', '!=', p.exceptId);
  if (p.tenantId !== undefined) q = q.where('tenant_id', '=', p.tenantId);
  return (await q.executeTakeFirst()) !== undefined;
};

/** The tenant's config whose `col` is `value`, if any (both columns are unique per tenant). */
export const findConfigBy = async (
  ex: Executor,
  tenantId: string,
  col: 'external_id' | 'device_id',
  value: string,
): Promise<ConfigRecord | undefined> => {
  const r = await ex
    .selectFrom('bootstrap_configs')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where(col, '=', value)
    .executeTakeFirst();
  return r ? toConfigRecord(r) : undefined;
};

/** Links the config to a device (no tenant filter: the caller found the row by its tenant). */
export const linkConfigDevice = async (
  tx: Executor,
  id: string,
  deviceId: string,
  nowMs: number,
): Promise<void> => {
  await tx
    .updateTable('bootstrap_configs')
    .set({ device_id: deviceId, updated_at: nowMs })
    .where('id', '=', id)
    .execute();
};

import { sql } from 'kysely';
import type { SearchMatch } from '../core/search-policy.js';
import { dialectOf } from '../store/dialect.js';
import { countIdIntersection, inIdSet } from '../store/id-sets.js';
import { onRow } from '../store/row-check.js';
import type { TableRow } from '../store/schema.js';
import type { Dialect, Executor } from '../store/store.js';
import { num, numOrNull } from '../store/store.js';
import type { AttrRef, Condition, SortKey } from './inventory-filters.js';
import type { AttributeValue, Scope } from './inventory-repo.js';
import {
  conditionIds,
  conditionSql,
  idSetSql,
  orderSql,
  selectsIdSet,
  textIds,
  whereSql,
} from './inventory-repo-conditions.js';

/** Which devices of a tenant a search selects; regex filters are already resolved to id sets. */
export interface DeviceQuery {
  tenantId: string;
  conditions: Condition[];
  /** The device must be in every one of these sets. */
  idSets: string[][];
  /** Each keyword must occur in some attribute value (`textMatch` says how). */
  keywords: string[];
  /** How keywords match values: any part (small tenants) or the start (core/search-policy.ts). */
  textMatch?: SearchMatch;
  /**
   * How a page is read when id sets select the devices (core/search-policy.ts): from the ids
   * (the default; counts always are), or along the tenant's creation-order index.
   */
  readOrder?: 'ids' | 'index';
}

export interface DeviceRow {
  id: string;
  createdAt: number;
  /** Of the device row only (device auth changes); see attributesOfDevices for the rest. */
  updatedAt: number;
  checkInAt: number | null;
}

export interface StoredAttribute {
  scope: Scope;
  name: string;
  value: AttributeValue;
  description: string | null;
}

type RawDeviceRow = TableRow<'devices', 'id' | 'created_at' | 'updated_at' | 'check_in_at'>;

const whereOf = (dialect: Dialect, q: DeviceQuery) => {
  const along = q.readOrder === 'index';
  return whereSql([
    // When id sets select the devices (listed ids, attribute conditions, keywords), their ids
    // drive: each device is looked up by key, its tenant checked on the row (store/row-check.ts).
    // Along the index, each device read is tested against the sets instead (store/id-sets.ts).
    drivenByIdSets(q) && !along
      ? sql`${onRow('d.tenant_id')} = ${q.tenantId}`
      : sql`d.tenant_id = ${q.tenantId}`,
    ...q.conditions.map((c) => conditionSql(dialect, q.tenantId, c, along)),
    ...q.idSets.map((ids) => idSetSql(dialect, ids)),
    ...q.keywords.map((k) =>
      inIdSet(sql`d.id`, textIds(dialect, q.tenantId, k, q.textMatch ?? 'substring'), along),
    ),
  ]);
};

/**
 * The id sets of a query made of attribute conditions and keywords only (no listed ids, no
 * negation, nothing on the device's columns): each holds the tenant's devices only, so their
 * intersection is the answer and no device needs reading to count it. Undefined otherwise.
 */
const attributeIdSets = (dialect: Dialect, q: DeviceQuery) => {
  if (q.idSets.length > 0 || !q.conditions.every(selectsIdSet)) return undefined;
  const sets = [];
  for (const c of q.conditions) {
    const ids = conditionIds(dialect, q.tenantId, c);
    if (!ids) return undefined;
    sets.push(ids);
  }
  for (const k of q.keywords) sets.push(textIds(dialect, q.tenantId, k, q.textMatch ?? 'substring'));
  return sets;
};

export const drivenByIdSets = (q: DeviceQuery): boolean =>
  q.idSets.length > 0 || q.keywords.length > 0 || q.conditions.some(selectsIdSet);

const isUnfiltered = (q: DeviceQuery): boolean =>
  q.conditions.length === 0 && q.idSets.length === 0 && q.keywords.length === 0;

/** The tenant's devices, from device_counts (migration 0012): a few rows, not the devices. */
export const countAllDevices = async (db: Executor, tenantId: string): Promise<number> => {
  const r = await db
    .selectFrom('device_counts')
    .select((eb) => eb.fn.sum<number | string | null>('n').as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return num(r?.n ?? 0);
};

export const countDevices = async (db: Executor, q: DeviceQuery): Promise<number> => {
  const dialect = dialectOf(db);
  if (isUnfiltered(q)) return countAllDevices(db, q.tenantId);
  const [first, ...rest] = attributeIdSets(dialect, q) ?? [];
  if (first) {
    return countIdIntersection(db, first, rest);
  }
  const r = await sql<{
    n: number | string;
  }>`select count(*) as n from devices d where ${whereOf(dialect, q)}`.execute(db);
  return num(r.rows[0]?.n ?? 0);
};

/** One page of devices in sort order: one statement, whatever the number of filters and keys. */
export const pageDevices = async (
  db: Executor,
  q: DeviceQuery,
  sort: SortKey[],
  offset: number,
  limit: number,
): Promise<DeviceRow[]> => {
  const dialect = dialectOf(db);
  const order = orderSql(dialect, sort);
  const where = whereOf(dialect, q);
  // In creation order, the page's ids come first and its rows after: a deep offset then walks
  // entries of devices_tenant_created_idx only (an index-only scan on PostgreSQL), not rows.
  const r =
    sort.length === 0
      ? await sql<RawDeviceRow>`select d.id, d.created_at, d.updated_at, d.check_in_at from devices d where d.id in (select d.id from devices d where ${where} order by ${order.orderBy} limit ${limit} offset ${offset}) order by ${order.orderBy}`.execute(
          db,
        )
      : await sql<RawDeviceRow>`select d.id, d.created_at, d.updated_at, d.check_in_at from devices d ${order.joins} where ${where} order by ${order.orderBy} limit ${limit} offset ${offset}`.execute(
          db,
        );
  return r.rows.map((row) => ({
    id: row.id,
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    checkInAt: numOrNull(row.check_in_at),
  }));
};

/** The stored attributes of a page of devices and the time of the newest one, in one query. */
export const attributesOfDevices = async (
  db: Executor,
  tenantId: string,
  deviceIds: string[],
): Promise<Map<string, { attributes: StoredAttribute[]; updatedAt: number }>> => {
  const out = new Map(deviceIds.map((id) => [id, { attributes: [] as StoredAttribute[], updatedAt: 0 }]));
  if (deviceIds.length === 0) return out;
  const rows = await db
    .selectFrom('inventory_attributes')
    .select(['device_id', 'scope', 'name', 'value', 'description', 'updated_at'])
    .where('device_id', 'in', deviceIds)
    .where(onRow('tenant_id'), '=', tenantId)
    .execute();
  for (const r of rows) {
    const entry = out.get(r.device_id);
    if (!entry) continue;
    entry.attributes.push({
      scope: r.scope as Scope,
      name: r.name,
      value: JSON.parse(r.value) as AttributeValue,
      description: r.description,
    });
    entry.updatedAt = Math.max(entry.updatedAt, num(r.updated_at));
  }
  return out;
};

/**
 * Candidates of a regex filter: the string values of `attr` (each element of an array) of the
 * devices the rest of the query selects, at most `max` rows (undefined when there are more).
 */
export const regexCandidates = async (
  db: Executor,
  q: DeviceQuery,
  attr: AttrRef,
  isId: boolean,
  max: number,
): Promise<{ deviceIds: string[]; values: string[] } | undefined> => {
  const dialect = dialectOf(db);
  const where = whereOf(dialect, q);
  const r = isId
    ? await sql<{
        device_id: string;
        value: string;
      }>`select d.id as device_id, d.id as value from devices d where ${where} limit ${max + 1}`.execute(db)
    : await sql<{
        device_id: string;
        value: string;
      }>`select a.device_id, a.value from inventory_attributes a where a.tenant_id = ${q.tenantId} and a.scope = ${attr.scope} and a.name = ${attr.name} and a.device_id in (select d.id from devices d where ${where}) limit ${max + 1}`.execute(
        db,
      );
  if (r.rows.length > max) return undefined;
  const deviceIds: string[] = [];
  const values: string[] = [];
  for (const row of r.rows) {
    const v: unknown = isId ? row.value : JSON.parse(row.value);
    for (const s of Array.isArray(v) ? v : [v]) {
      if (typeof s !== 'string') continue;
      deviceIds.push(row.device_id);
      values.push(s);
    }
  }
  return { deviceIds, values };
};

/** Attribute names in use with the number of devices having each, most common first. */
export const attributeCatalogue = async (
  db: Executor,
  tenantId: string,
  limit: number,
): Promise<{ scope: string; name: string; count: number }[]> => {
  const rows = await db
    .selectFrom('inventory_attributes')
    .select((eb) => ['scope', 'name', eb.fn.countAll<number | string>().as('n')])
    .where('tenant_id', '=', tenantId)
    .groupBy(['scope', 'name'])
    .orderBy('n', 'desc')
    .orderBy('scope')
    .orderBy('name')
    .limit(limit)
    .execute();
  const devices = await db
    .selectFrom('devices')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.count<number | string>('check_in_at').as('c'),
    ])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const all = rows.map((r) => ({ scope: r.scope, name: r.name, count: num(r.n) }));
  if (num(devices.n) > 0) {
    all.push({ scope: 'system', name: 'created_ts', count: num(devices.n) });
    all.push({ scope: 'system', name: 'updated_ts', count: num(devices.n) });
  }
  if (num(devices.c) > 0) all.push({ scope: 'system', name: 'check_in_time', count: num(devices.c) });
  const key = (a: { scope: string; name: string }) => `${a.scope}\u0000${a.name}`;
  return all
    .sort((a, b) => b.count - a.count || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .slice(0, limit);
};

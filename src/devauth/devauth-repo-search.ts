import { type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { pageReadOrder, SearchMatch } from '../core/search-policy.js';
import { countIdIntersection, inIdSet } from '../store/id-sets.js';
import { onRow } from '../store/row-check.js';
import type { Database } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { DeviceCursor } from './devauth-cursor.js';
import { countDevices, toDevice } from './devauth-repo-devices.js';
import type { Device, DeviceFilter, DeviceInventorySql } from './devauth-types.js';

// Device lists, counts and bulk selections of the management API: one WHERE for all three.
//
// Every form of the search text `q` is a set of device ids read from an index: a device id
// prefix (a range of the primary key), an auth-set fingerprint prefix (a range of
// auth_sets_tenant_key_uq), and an identity or inventory value that starts with it
// (inventory_attributes_search_idx). `devices.id in (<the sets, union all>)` lets the planner
// read the sets and then fetch the few devices, where an OR of conditions on `devices` would
// test every device of the tenant. A value that merely contains `q` is matched only in tenants
// of at most SUBSTRING_SEARCH_MAX_DEVICES devices (core/search-policy.ts): that reads all the
// tenant's values.
// Id and fingerprint ranges are [prefix, prefix + 'g'): every character of a UUID or a hex
// digest sorts below 'g' under any collation PostgreSQL may use (C, ICU, glibc), so the range
// holds exactly the strings that start with the prefix, and the btree index answers it.

export { type SearchMatch, SUBSTRING_SEARCH_MAX_DEVICES } from '../core/search-policy.js';

/** How a search reads the inventory: its SQL, and whether values match `q` as a substring. */
export interface SearchInventory {
  sql: DeviceInventorySql | undefined;
  match: SearchMatch;
}

/** The parts of a search text that can match ids and fingerprints. */
export interface SearchText {
  /** Lowercase, the start of a canonical UUID. */
  idPrefix?: string;
  /** Lowercase hex (colons dropped), 4..64 digits. */
  fingerprintPrefix?: string;
  /** The text itself, for a case-insensitive match on attribute values. */
  text: string;
}

const UUID_PREFIX =
  /^(?:[0-9a-f]{1,8}|[0-9a-f]{8}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-[0-9a-f]{0,12}))))$/;

export const parseSearchText = (q: string): SearchText | undefined => {
  const text = q.trim();
  if (text === '') return undefined;
  const lower = text.toLowerCase();
  const hex = /^[0-9a-f:]+$/.test(lower) ? lower.replace(/:/g, '') : '';
  return {
    ...(UUID_PREFIX.test(lower) ? { idPrefix: lower } : {}),
    ...(hex.length >= 4 && hex.length <= 64 ? { fingerprintPrefix: hex } : {}),
    text,
  };
};

/** Only statuses (or nothing): the count is read from device_counts. */
export const isStatusOnly = (f: DeviceFilter): boolean =>
  !(f.ids && f.ids.length > 0) &&
  parseSearchText(f.q ?? '') === undefined &&
  f.group === undefined &&
  f.tag === undefined;

/** A group and perhaps statuses, nothing else: the count is read from group_counts. */
const isGroupOnly = (f: DeviceFilter): boolean =>
  f.group !== undefined &&
  !(f.ids && f.ids.length > 0) &&
  parseSearchText(f.q ?? '') === undefined &&
  f.tag === undefined;

/** SELECTs of the ids of the tenant's devices that `q` matches, as `device_id` (they may repeat). */
const searchIdSets = (
  tenantId: string,
  search: SearchText,
  inventory: SearchInventory,
): RawBuilder<unknown>[] => {
  const sets: RawBuilder<unknown>[] = [];
  const p = search.idPrefix;
  if (p !== undefined)
    sets.push(
      sql`select d.id as device_id from devices d where d.id >= ${p} and d.id < ${`${p}g`} and ${onRow('d.tenant_id')} = ${tenantId}`,
    );
  const f = search.fingerprintPrefix;
  if (f !== undefined)
    sets.push(
      sql`select s.device_id from auth_sets s where s.tenant_id = ${tenantId} and s.pubkey_sha256 >= ${f} and s.pubkey_sha256 < ${`${f}g`}`,
    );
  if (inventory.sql)
    sets.push(
      inventory.match === 'substring'
        ? inventory.sql.valueSubstringIds(tenantId, search.text)
        : inventory.sql.valuePrefixIds(tenantId, search.text),
    );
  return sets;
};

/**
 * The id sets a filter's search, group and tag select (a device must be in each), every one
 * holding ids of the tenant's devices only; undefined when one of them can match nothing.
 */
const idSetsOf = (
  tenantId: string,
  f: DeviceFilter,
  inventory: SearchInventory,
): RawBuilder<unknown>[] | undefined => {
  const sets: RawBuilder<unknown>[] = [];
  const search = f.q === undefined ? undefined : parseSearchText(f.q);
  if (search) {
    const any = searchIdSets(tenantId, search, inventory);
    if (any.length === 0) return undefined;
    sets.push(sql.join(any, sql` union all `));
  }
  const inv = inventory.sql;
  if ((f.group !== undefined || f.tag !== undefined) && !inv) return undefined;
  if (inv && f.group !== undefined) sets.push(inv.groupIds(tenantId, f.group));
  if (inv && f.tag !== undefined) sets.push(inv.tagIds(tenantId, f.tag.name, f.tag.value));
  return sets;
};

type DevicesEb = ExpressionBuilder<Database, 'devices'>;
export type ReadOrder = ReturnType<typeof pageReadOrder>;

/** Whether ids, a search, a group or a tag select the devices (sets of ids an index gives). */
export const selectsIdSets = (f: DeviceFilter): boolean => !isStatusOnly(f);

/**
 * `order` (core/search-policy.ts): 'ids' reads the devices the id sets name, each by key, its
 * tenant checked on the row (store/row-check.ts); 'index' walks the tenant's
 * (tenant, [status,] created_at, id) index and tests each device against the sets.
 */
const whereFilter =
  (tenantId: string, f: DeviceFilter, inventory: SearchInventory, order: ReadOrder) =>
  (eb: DevicesEb): Expression<SqlBool> => {
    const byIds = f.ids !== undefined && f.ids.length > 0;
    const fromIds = order === 'ids' && selectsIdSets(f);
    const parts: Expression<SqlBool>[] = [
      fromIds ? eb(onRow('devices.tenant_id'), '=', tenantId) : eb('devices.tenant_id', '=', tenantId),
    ];
    if (f.statuses && f.statuses.length > 0) parts.push(eb('devices.status', 'in', f.statuses));
    if (byIds) parts.push(eb('devices.id', 'in', f.ids as string[]));
    const sets = idSetsOf(tenantId, f, inventory);
    if (!sets) parts.push(eb.val(false));
    else for (const set of sets) parts.push(inIdSet(sql`devices.id`, set, order === 'index'));
    return eb.and(parts);
  };

/** The ids the filter selects in list order (creation, then id), from `after` on. */
const selectIds = (
  db: Executor,
  tenantId: string,
  f: DeviceFilter,
  inventory: SearchInventory,
  after: DeviceCursor | null | undefined,
  order: ReadOrder,
  fromEnd = false,
) => {
  let q = db
    .selectFrom('devices')
    .select('devices.id')
    .where(whereFilter(tenantId, f, inventory, order));
  // A row comparison is one range of the (tenant, [status,] created_at, id) indexes.
  if (after)
    q = q.where((eb) =>
      eb(eb.refTuple('devices.created_at', 'devices.id'), '>', eb.tuple(after.createdAt, after.id)),
    );
  const dir = fromEnd ? 'desc' : 'asc';
  return q.orderBy('devices.created_at', dir).orderBy('devices.id', dir);
};

/**
 * A page of the devices the filter selects, oldest first: after `page.after` when given, else
 * after `page.offset` devices. The page's ids are chosen first and the rows read after, so a
 * deep offset walks index entries only (an index-only scan on PostgreSQL), not table rows.
 * With `page.total` (the exact count), a page past the middle is counted from the end: the walk
 * is then at most half the list, and the last page costs what the first does.
 */
export const findDevices = async (
  db: Executor,
  tenantId: string,
  f: DeviceFilter,
  inventory: SearchInventory,
  page: { offset: number; limit: number; after?: DeviceCursor | null; order: ReadOrder; total?: number },
): Promise<Device[]> => {
  const { total } = page;
  const fromEnd = !page.after && total !== undefined && page.offset > total / 2;
  let ids = selectIds(db, tenantId, f, inventory, page.after, page.order, fromEnd);
  if (fromEnd) {
    // Devices [offset, offset + limit) are, counted from the end, [total - offset - limit, total - offset).
    const end = Math.max(0, (total as number) - page.offset);
    const start = Math.max(0, end - page.limit);
    ids = ids.limit(end - start);
    if (start > 0) ids = ids.offset(start);
  } else {
    ids = ids.limit(page.limit);
    if (!page.after && page.offset > 0) ids = ids.offset(page.offset);
  }
  const rows = await db
    .selectFrom('devices')
    .selectAll()
    .where('devices.id', 'in', ids)
    .orderBy('devices.created_at')
    .orderBy('devices.id')
    .execute();
  return rows.map(toDevice);
};

/** Ids of the devices the filter selects, oldest first, at most `limit`. */
export const findDeviceIds = async (
  db: Executor,
  tenantId: string,
  f: DeviceFilter,
  inventory: SearchInventory,
  limit: number,
  order: ReadOrder,
): Promise<string[]> =>
  (await selectIds(db, tenantId, f, inventory, undefined, order).limit(limit).execute()).map((r) => r.id);

/**
 * How many devices the filter selects; by status alone, from device_counts; by group (and
 * status), from group_counts.
 */
export const countFoundDevices = async (
  db: Executor,
  tenantId: string,
  f: DeviceFilter,
  inventory: SearchInventory,
): Promise<number> => {
  if (isStatusOnly(f)) return countDevices(db, tenantId, f.statuses);
  if (isGroupOnly(f) && f.group !== undefined && inventory.sql) {
    const r = await inventory.sql.groupCount(tenantId, f.group, f.statuses).execute(db);
    return num(r.rows[0]?.n ?? 0);
  }
  // Without statuses and listed ids, the sets alone say how many: they hold the tenant's devices
  // only, so the count is of their intersection, read from their indexes, no device read.
  const sets = idSetsOf(tenantId, f, inventory);
  if (!sets) return 0;
  const [first, ...rest] = sets;
  if (first && !(f.statuses && f.statuses.length > 0) && !(f.ids && f.ids.length > 0)) {
    return countIdIntersection(db, first, rest);
  }
  const r = await db
    .selectFrom('devices')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where(whereFilter(tenantId, f, inventory, 'ids'))
    .executeTakeFirstOrThrow();
  return num(r.n);
};

import { type RawBuilder, sql } from 'kysely';
import type { SearchMatch } from '../core/search-policy.js';
import { inIdSet } from '../store/id-sets.js';
import type { Dialect } from '../store/store.js';
import type { AttrRef, Condition, Scalar, SortKey, VirtualKind } from './inventory-filters.js';
import { virtualOf } from './inventory-filters.js';
import { inventoryDeviceSql } from './inventory-repo-device-sql.js';
import { startsWith, valueIn, valueKey } from './inventory-repo-value-key.js';

// The dialect-specific SQL of inventory searches. Attribute values are JSON text (a string, a
// number, or a homogeneous array of either), so every predicate is written over the elements of
// the value (a scalar counts as a one-element array): SQLite's json_each, PostgreSQL's jsonb.
//
// Comparisons follow MongoDB's type bracketing, which Mender inherits: a number only compares
// with numbers and a string only with strings. Strings compare by code point on both dialects
// (SQLite's BINARY collation; `COLLATE "C"` on PostgreSQL, whose default collation would not).
// The query is written against `devices d` (one row per device of the tenant).

type Frag = RawBuilder<unknown>;

const TRUE = sql`1 = 1`;
const FALSE = sql`1 = 0`;

const strings = (vs: Scalar[]) => vs.filter((v): v is string => typeof v === 'string');
const numbers = (vs: Scalar[]) => vs.filter((v): v is number => typeof v === 'number');

/**
 * updated_ts: the newest change of the device row or of any of its attributes. Only filters and
 * sorting on updated_ts evaluate it in SQL; answers compute it from the page's attributes.
 */
const updatedExpr = (dialect: Dialect): Frag => {
  const newestAttr = sql`(select max(u.updated_at) from inventory_attributes u where u.device_id = d.id)`;
  return dialect === 'postgres'
    ? sql`greatest(d.updated_at, ${newestAttr})`
    : sql`max(d.updated_at, coalesce(${newestAttr}, 0))`;
};

export const virtualExpr = (dialect: Dialect, kind: VirtualKind): Frag => {
  switch (kind) {
    case 'created':
      return sql`d.created_at`;
    case 'checkIn':
      return sql`d.check_in_at`;
    case 'updated':
      return updatedExpr(dialect);
    case 'id':
      return dialect === 'postgres' ? sql`d.id collate "C"` : sql`d.id`;
  }
};

/** Elements of `a.value` on PostgreSQL, a scalar wrapped as a one-element array. */
const pgElements = sql`jsonb_array_elements(case when left(a.value, 1) = '[' then a.value::jsonb else jsonb_build_array(a.value::jsonb) end)`;

/** True when some element of the array `a.value` equals one of `values`. */
const arrayElementIn = (dialect: Dialect, values: Scalar[]): Frag => {
  if (dialect === 'postgres')
    return sql`exists (select 1 from jsonb_array_elements(a.value::jsonb) e where cast(${JSON.stringify(values)} as jsonb) @> jsonb_build_array(e))`;
  const parts: Frag[] = [];
  const s = strings(values);
  const n = numbers(values);
  if (s.length > 0) parts.push(sql`(e.type = 'text' and e.value in (${sql.join(s)}))`);
  if (n.length > 0) parts.push(sql`(e.type in ('integer', 'real') and e.value in (${sql.join(n)}))`);
  return sql`exists (select 1 from json_each(a.value) e where ${sql.join(parts, sql` or `)})`;
};

/**
 * Devices where some element of the attribute equals one of `values`: the scalar values equal to
 * one (compared as JSON text, both sides JSON.stringify output) and the array values holding one,
 * each a range of inventory_attributes_value_idx (arrays: the keys starting with '['). One
 * `in (... union all ...)`, not an OR of two, so that the planner reads the ids and then the few
 * devices instead of testing every device.
 */
const attributeInIds = (dialect: Dialect, tenantId: string, attr: AttrRef, values: Scalar[]): Frag => {
  const of = sql`a.tenant_id = ${tenantId} and a.scope = ${attr.scope} and a.name = ${attr.name}`;
  const scalars = valueIn(
    dialect,
    values.map((v) => JSON.stringify(v)),
  );
  const arrays = startsWith(dialect, valueKey(dialect), sql`a.value`, '[');
  return sql`select a.device_id from inventory_attributes a where ${of} and ${scalars} union all select a.device_id from inventory_attributes a where ${of} and ${arrays} and ${arrayElementIn(dialect, values)}`;
};

/** True when some element of `a.value` of the value's type compares `op` with `value`. */
const anyElementCompares = (dialect: Dialect, op: string, value: Scalar): Frag => {
  const o = sql.raw(op);
  if (dialect === 'postgres') {
    return typeof value === 'number'
      ? sql`exists (select 1 from ${pgElements} e where jsonb_typeof(e) = 'number' and (case when jsonb_typeof(e) = 'number' then (e #>> '{}')::float8 end) ${o} cast(${value} as float8))`
      : sql`exists (select 1 from ${pgElements} e where jsonb_typeof(e) = 'string' and (e #>> '{}') collate "C" ${o} cast(${value} as text))`;
  }
  return typeof value === 'number'
    ? sql`exists (select 1 from json_each(a.value) e where e.type in ('integer', 'real') and e.value ${o} ${value})`
    : sql`exists (select 1 from json_each(a.value) e where e.type = 'text' and e.value ${o} ${value})`;
};

const attributeIds = (tenantId: string, attr: AttrRef, predicate?: Frag): Frag =>
  sql`select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and a.scope = ${attr.scope} and a.name = ${attr.name}${predicate ? sql` and ${predicate}` : sql``}`;

const negated = (f: Frag): Frag => sql`not (${f})`;

/** A condition on a virtual attribute (device column or id). */
const virtualCondition = (dialect: Dialect, kind: VirtualKind, c: Condition): Frag => {
  const expr = virtualExpr(dialect, kind);
  // The id is a string and the times are numbers (ms): other types never match (type bracketing).
  const fits = (v: Scalar) => (kind === 'id' ? typeof v === 'string' : typeof v === 'number');
  switch (c.kind) {
    case 'exists':
      return c.negate ? sql`${expr} is null` : sql`${expr} is not null`;
    case 'in': {
      const vs = c.values.filter(fits);
      const match = vs.length > 0 ? sql`${expr} in (${sql.join(vs)})` : FALSE;
      return c.negate ? sql`(${expr} is null or not (${match}))` : match;
    }
    case 'cmp':
      return fits(c.value) ? sql`${expr} ${sql.raw(c.op)} ${c.value}` : FALSE;
    case 'regex':
      throw new Error('regex conditions are resolved before SQL is built');
  }
};

/**
 * Whether the condition's SQL is `d.id in (<ids from an index>)`, a set the query can start from
 * (attribute conditions that are not negated, and identity/id values); negations and conditions
 * on the device's times are tested on the devices instead.
 */
export const selectsIdSet = (c: Condition): boolean => {
  if (c.kind === 'regex' || ('negate' in c && c.negate)) return false;
  const v = virtualOf(c.attr);
  return v === undefined || (v === 'id' && c.kind === 'in');
};

/**
 * The ids of the devices an attribute condition holds, as a SELECT of `device_id` (ids of the
 * tenant's devices only, possibly repeated), ignoring its negation; undefined for conditions on
 * the device's own columns (identity/id, times).
 */
export const conditionIds = (dialect: Dialect, tenantId: string, c: Condition): Frag | undefined => {
  if (virtualOf(c.attr)) return undefined;
  switch (c.kind) {
    case 'exists':
      return attributeIds(tenantId, c.attr);
    case 'in':
      return c.values.length > 0
        ? attributeInIds(dialect, tenantId, c.attr, c.values)
        : attributeIds(tenantId, c.attr, FALSE);
    case 'cmp':
      return attributeIds(tenantId, c.attr, anyElementCompares(dialect, c.op, c.value));
    case 'regex':
      throw new Error('regex conditions are resolved before SQL is built');
  }
};

/**
 * SQL for one (non-regex) condition. `along`: the page is read along the list's index, and an id
 * set the condition selects is tested on each device read (store/id-sets.ts inIdSet).
 */
export const conditionSql = (dialect: Dialect, tenantId: string, c: Condition, along = false): Frag => {
  const v = virtualOf(c.attr);
  if (v) return virtualCondition(dialect, v, c);
  const negate = 'negate' in c && c.negate;
  const f = inIdSet(sql`d.id`, conditionIds(dialect, tenantId, c) as Frag, along && !negate);
  return negate ? negated(f) : f;
};

/** The device must be one of `ids` (one JSON parameter, whatever the number of ids). */
export const idSetSql = (dialect: Dialect, ids: string[]): Frag => {
  if (ids.length === 0) return FALSE;
  const json = JSON.stringify(ids);
  return dialect === 'postgres'
    ? sql`d.id in (select jsonb_array_elements_text(cast(${json} as jsonb)))`
    : sql`d.id in (select value from json_each(${json}))`;
};

/**
 * The ids of the devices matching a free-text keyword, case-insensitively (a SELECT of
 * `device_id`, the tenant's devices only): some attribute value of the device contains it
 * (`substring`: reads all the tenant's values, so only for small tenants), or some identity or
 * inventory value starts with it (`prefix`: index ranges; core/search-policy.ts).
 */
export const textIds = (dialect: Dialect, tenantId: string, keyword: string, match: SearchMatch): Frag => {
  if (match === 'prefix') return inventoryDeviceSql(dialect).valuePrefixIds(tenantId, keyword);
  // Values are JSON text, so the keyword is matched in its JSON-escaped form.
  const escaped = JSON.stringify(keyword.toLowerCase())
    .slice(1, -1)
    .replace(/[\\%_]/g, (c) => `\\${c}`);
  return sql`select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and lower(a.value) like ${`%${escaped}%`} escape '\\'`;
};

export const whereSql = (parts: Frag[]): Frag => (parts.length > 0 ? sql.join(parts, sql` and `) : TRUE);

/**
 * ORDER BY terms (and, on PostgreSQL, the lateral joins they read) for the sort keys. Missing
 * values sort first ascending and last descending, numbers before strings, as in MongoDB; an
 * array sorts by its smallest element ascending and its largest descending. Ties end in the id.
 */
export const orderSql = (dialect: Dialect, keys: SortKey[]): { joins: Frag; orderBy: Frag } => {
  const joins: Frag[] = [];
  const terms: Frag[] = [];
  keys.forEach((k, i) => {
    const dir = k.desc ? sql`desc nulls last` : sql`asc nulls first`;
    const agg = sql.raw(k.desc ? 'max' : 'min');
    const v = virtualOf(k.attr);
    if (v) {
      terms.push(sql`${virtualExpr(dialect, v)} ${dir}`);
    } else if (dialect === 'postgres') {
      const alias = sql.raw(`k${i}`);
      joins.push(
        sql`left join lateral (select ${agg}(case when jsonb_typeof(e) = 'number' then (e #>> '{}')::float8 end) as n, ${agg}((case when jsonb_typeof(e) = 'string' then e #>> '{}' end) collate "C") as s from inventory_attributes a cross join lateral ${pgElements} e where a.device_id = d.id and a.scope = ${k.attr.scope} and a.name = ${k.attr.name}) ${alias} on true`,
      );
      terms.push(
        sql`(case when ${alias}.n is not null then 1 when ${alias}.s is not null then 2 else 0 end) ${dir}`,
        sql`${alias}.n ${dir}`,
        sql`${alias}.s ${dir}`,
      );
    } else {
      // SQLite orders a mixed column NULL < numbers < text by itself.
      terms.push(
        sql`(select ${agg}(e.value) from inventory_attributes a, json_each(a.value) e where a.device_id = d.id and a.scope = ${k.attr.scope} and a.name = ${k.attr.name}) ${dir}`,
      );
    }
  });
  // Without sort keys: the devauth list's order, creation then id as stored, which is the order of
  // the (tenant_id, created_at, id) index, so a page is read along it instead of sorting every
  // match (an id under `COLLATE "C"` is another order to PostgreSQL's planner, even where the
  // two agree, as they do for the UUIDs Gatehouse gives devices).
  if (keys.length === 0) terms.push(sql`d.created_at asc`, sql`d.id asc`);
  else terms.push(sql`${virtualExpr(dialect, 'id')} asc`);
  return { joins: sql.join(joins, sql` `), orderBy: sql.join(terms) };
};

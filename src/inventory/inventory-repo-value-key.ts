import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from '../store/store.js';

// The indexed keys of attribute values (migration 0012): the first 64 characters of the JSON
// text, as is (inventory_attributes_value_idx) and lower-cased (inventory_attributes_search_idx,
// the values the device search looks at). A PostgreSQL btree entry must stay under 2704 bytes and
// values may be 16 KiB, so the index holds a cut; a query compares the key (the index range) and
// then the whole value. On PostgreSQL the keys are `COLLATE "C"` in the index, and must be written
// so here too, or the index does not apply: byte order, as SQLite's BINARY, so that a prefix is a
// range whatever the database's default collation. PostgreSQL compares texts shorter than the key
// with the value itself, through a partial index of the short values (migration 0013; valueIn).

export const VALUE_KEY_CHARS = 64;

/** Highest code point: `prefix + TOP` is above every string that starts with `prefix`. */
const TOP = '\u{10FFFF}';

/** The first VALUE_KEY_CHARS code points, as SQL's substr counts them (JavaScript counts UTF-16 units). */
export const cutKey = (text: string): string => {
  const points = Array.from(text);
  return points.length <= VALUE_KEY_CHARS ? text : points.slice(0, VALUE_KEY_CHARS).join('');
};

const collated = (dialect: Dialect, expr: RawBuilder<unknown>): RawBuilder<unknown> =>
  dialect === 'postgres' ? sql`${expr} collate "C"` : expr;

/** substr(<alias>.value, 1, 64): the key of inventory_attributes_value_idx. */
export const valueKey = (dialect: Dialect, alias = 'a'): RawBuilder<unknown> =>
  collated(dialect, sql`substr(${sql.ref(`${alias}.value`)}, 1, ${sql.lit(VALUE_KEY_CHARS)})`);

/** substr(lower(<alias>.value), 1, 64): the key of inventory_attributes_search_idx. */
export const searchKey = (dialect: Dialect, alias = 'a'): RawBuilder<unknown> =>
  collated(dialect, sql`substr(lower(${sql.ref(`${alias}.value`)}), 1, ${sql.lit(VALUE_KEY_CHARS)})`);

/**
 * The values whose text starts with `prefix`, as a range of `key` (an index key of the column)
 * and, for prefixes longer than the key, the whole text compared after.
 */
export const startsWith = (
  dialect: Dialect,
  key: RawBuilder<unknown>,
  whole: RawBuilder<unknown>,
  prefix: string,
): RawBuilder<SqlBool> => {
  const cut = cutKey(prefix);
  const range = sql<SqlBool>`${key} >= ${cut} and ${key} < ${`${cut}${TOP}`}`;
  if (cut === prefix) return range;
  const length = Array.from(prefix).length;
  return sql<SqlBool>`${range} and ${collated(dialect, sql`substr(${whole}, 1, ${length})`)} = ${prefix}`;
};

/**
 * A text shorter than the key is its own key, and only a value equal to it has that key: the key
 * alone decides, and the index answers without reading the rows (a covering read).
 */
const isWholeKey = (text: string): boolean => Array.from(text).length < VALUE_KEY_CHARS;

/** Equality with `value` (JSON text) through the value key. */
export const valueEquals = (dialect: Dialect, value: string, alias = 'a'): RawBuilder<SqlBool> =>
  valueIn(dialect, [value], alias);

/**
 * Equality with one of `values` (JSON texts) through the value key. On PostgreSQL, texts shorter
 * than the key are compared with the value itself, under the predicate of
 * inventory_attributes_short_value_idx (migration 0013): PostgreSQL reads that index without the
 * table, which it cannot do for an index of an expression. The length is a literal, or the
 * planner could not tell that the partial index applies.
 */
export const valueIn = (dialect: Dialect, values: string[], alias = 'a'): RawBuilder<SqlBool> => {
  if (dialect === 'postgres' && values.every(isWholeKey)) {
    const value = sql`${sql.ref(`${alias}.value`)} collate "C"`;
    const short = sql<SqlBool>`length(${sql.ref(`${alias}.value`)}) < ${sql.lit(VALUE_KEY_CHARS)}`;
    const unique = [...new Set(values)];
    return unique.length === 1
      ? sql<SqlBool>`${short} and ${value} = ${unique[0]}`
      : sql<SqlBool>`${short} and ${value} in (${sql.join(unique)})`;
  }
  const keys = [...new Set(values.map(cutKey))];
  const byKey =
    keys.length === 1
      ? sql<SqlBool>`${valueKey(dialect, alias)} = ${keys[0]}`
      : sql<SqlBool>`${valueKey(dialect, alias)} in (${sql.join(keys)})`;
  if (values.every(isWholeKey)) return byKey;
  return sql<SqlBool>`${byKey} and ${sql.ref(`${alias}.value`)} in (${sql.join(values)})`;
};

import { AppError } from '../core/errors.js';
import { scopes } from './inventory-repo.js';

// Search requests (v1 query parameters, v2 filter bodies) parsed into one typed form that the
// query builder turns into SQL. Pure: no SQL, no I/O. The operators and parameters:
// docs/compat/mender-management.md#inventory-v1-filters and #inventory-v2-filters.

export const MAX_FILTERS = 32;
export const MAX_SORT_KEYS = 8;
export const MAX_IN_VALUES = 1000;
export const MAX_FILTER_STRING_LENGTH = 4096;
export const MAX_REGEX_LENGTH = 512;
export const MAX_NAME_LENGTH = 1024;
export const MAX_TEXT_LENGTH = 256;

export type Scalar = string | number;
/**
 * An attribute named by a search. Its scope is one Gatehouse stores (`scopes`) or, in v2
 * searches, any other name: Mender's web UI asks for scopes of add-ons (`monitor`, ...), whose
 * attributes simply do not exist here, as on a Mender server without them.
 */
export interface AttrRef {
  scope: string;
  name: string;
}

/** Longest scope name a v2 search may name. */
export const MAX_SCOPE_LENGTH = 32;
const SCOPE_RE = /^[A-Za-z0-9_.-]+$/;

/**
 * Attributes that are not rows of inventory_attributes but columns of the device (system times)
 * or its id (`identity/id`, which Mender maps to the device id as well).
 */
export type VirtualKind = 'created' | 'updated' | 'checkIn' | 'id';
export const virtualOf = (a: AttrRef): VirtualKind | undefined => {
  if (a.scope === 'identity' && a.name === 'id') return 'id';
  if (a.scope !== 'system') return undefined;
  if (a.name === 'created_ts') return 'created';
  if (a.name === 'updated_ts') return 'updated';
  if (a.name === 'check_in_time') return 'checkIn';
  return undefined;
};
export const isTimeAttribute = (a: AttrRef): boolean => {
  const v = virtualOf(a);
  return v !== undefined && v !== 'id';
};

/**
 * One condition. Values of time attributes are already converted to epoch milliseconds.
 * `in` covers $eq/$in (negated: $ne/$nin, which also match devices without the attribute, as in
 * MongoDB); an array attribute matches when any element matches.
 */
export type Condition =
  | { attr: AttrRef; kind: 'in'; negate: boolean; values: Scalar[] }
  | { attr: AttrRef; kind: 'cmp'; op: '>' | '>=' | '<' | '<='; value: Scalar }
  | { attr: AttrRef; kind: 'exists'; negate: boolean }
  | { attr: AttrRef; kind: 'regex'; pattern: string };

export interface SortKey {
  attr: AttrRef;
  desc: boolean;
}

export const operators = [
  '$eq',
  '$ne',
  '$in',
  '$nin',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$exists',
  '$regex',
] as const;
export type Operator = (typeof operators)[number];

const bad = (message: string) => new AppError('INVENTORY_BAD_FILTER', 400, message);

export const GROUP_NAME_RE = /^[A-Za-z0-9_-]{1,1024}$/;
export const checkGroupName = (name: string): string => {
  if (!GROUP_NAME_RE.test(name)) {
    throw new AppError(
      'INVENTORY_BAD_GROUP_NAME',
      400,
      'Group name can only contain: upper/lowercase alphanum, -(dash), _(underscore), and must be 1 to 1024 characters long',
    );
  }
  return name;
};

/**
 * `anyScope` (v2 searches): a scope Gatehouse does not store is accepted and matches no attribute
 * (`$ne`, `$nin` and `$exists: false` then match every device, as for any missing attribute).
 * v1 parameters keep to the stored scopes, where `a/b` could be a typo of a name.
 */
export const parseAttrRef = (scope: string, name: string, opts: { anyScope?: boolean } = {}): AttrRef => {
  const known = (scopes as readonly string[]).includes(scope);
  if (!known && !opts.anyScope)
    throw bad(`unknown scope "${scope.slice(0, 64)}": must be one of ${scopes.join(', ')}`);
  if (!known && (scope.length > MAX_SCOPE_LENGTH || !SCOPE_RE.test(scope)))
    throw bad(`scope must be 1..${MAX_SCOPE_LENGTH} letters, digits, '.', '_' or '-'`);
  if (name.length === 0 || name.length > MAX_NAME_LENGTH)
    throw bad(`attribute name must be 1..${MAX_NAME_LENGTH} characters`);
  return { scope, name };
};

/** `scope/name` or a bare `name` (inventory scope), as in Mender's v1 parameters. */
export const parseScopedName = (s: string): AttrRef => {
  const i = s.indexOf('/');
  return i < 0 ? parseAttrRef('inventory', s) : parseAttrRef(s.slice(0, i), s.slice(i + 1));
};

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const timeMs = (attr: AttrRef, v: unknown): number => {
  const ms = typeof v === 'string' && RFC3339.test(v) ? Date.parse(v.replace(' ', 'T')) : Number.NaN;
  if (!Number.isFinite(ms)) throw bad(`${attr.scope}/${attr.name}: value must be an RFC 3339 time`);
  return ms;
};

const scalar = (attr: AttrRef, v: unknown): Scalar => {
  if (isTimeAttribute(attr)) return timeMs(attr, v);
  if (typeof v === 'string') {
    if (v.length > MAX_FILTER_STRING_LENGTH)
      throw bad(`filter values are at most ${MAX_FILTER_STRING_LENGTH} characters`);
    return v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw bad(`${attr.scope}/${attr.name}: filter value must be a string or a number`);
};

/** Checks a regular expression's size and syntax; it is run later, in a worker (see inventory-regex.ts). */
export const checkRegex = (pattern: unknown): string => {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > MAX_REGEX_LENGTH)
    throw bad(`$regex value must be a string of 1..${MAX_REGEX_LENGTH} characters`);
  try {
    new RegExp(pattern);
  } catch {
    throw bad('$regex value is not a valid regular expression');
  }
  // Anchored at the start, as Mender does; the group makes `a|b` mean `^(a|b)`, not `^a|b`.
  return pattern.startsWith('^') ? pattern : `^(?:${pattern})`;
};

/** One v2 filter term `{scope, attribute, type, value}`. */
export const parseFilterTerm = (f: {
  scope: string;
  attribute: string;
  type: string;
  value?: unknown;
}): Condition => {
  const attr = parseAttrRef(f.scope, f.attribute, { anyScope: true });
  const v = f.value;
  switch (f.type as Operator) {
    case '$eq':
    case '$ne':
      return { attr, kind: 'in', negate: f.type === '$ne', values: [scalar(attr, v)] };
    case '$in':
    case '$nin': {
      if (!Array.isArray(v) || v.length > MAX_IN_VALUES)
        throw bad(`${f.type} takes an array of at most ${MAX_IN_VALUES} values`);
      return { attr, kind: 'in', negate: f.type === '$nin', values: v.map((x) => scalar(attr, x)) };
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte': {
      const op = ({ $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' } as const)[f.type as '$gt'];
      return { attr, kind: 'cmp', op, value: scalar(attr, v) };
    }
    case '$exists':
      if (typeof v !== 'boolean') throw bad('$exists takes a boolean value');
      return { attr, kind: 'exists', negate: !v };
    case '$regex':
      if (isTimeAttribute(attr)) throw bad(`$regex is not supported on ${attr.scope}/${attr.name}`);
      return { attr, kind: 'regex', pattern: checkRegex(v) };
    default:
      throw bad(
        `unsupported filter type "${String(f.type).slice(0, 16)}": must be one of ${operators.join(', ')}`,
      );
  }
};

export const parseSortTerm = (s: { scope: string; attribute: string; order: string }): SortKey => {
  if (s.order !== 'asc' && s.order !== 'desc') throw bad('sort order must be "asc" or "desc"');
  return { attr: parseAttrRef(s.scope, s.attribute, { anyScope: true }), desc: s.order === 'desc' };
};

/** v1 `sort=name[:asc|desc][,...]`; names may be `scope/name`. Default order is ascending. */
export const parseSortParam = (raw: string | undefined): SortKey[] => {
  if (raw === undefined || raw === '') return [];
  const items = raw.split(',');
  if (items.length > MAX_SORT_KEYS) throw bad(`at most ${MAX_SORT_KEYS} sort keys`);
  return items.map((item) => {
    // As in Mender, a colon separates the order: `name:other` is an error, not a name.
    const i = item.lastIndexOf(':');
    const order = i < 0 ? 'asc' : item.slice(i + 1);
    if (order !== 'asc' && order !== 'desc') throw bad('invalid sort order');
    return { attr: parseScopedName(i < 0 ? item : item.slice(0, i)), desc: order === 'desc' };
  });
};

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const RESERVED_V1 = new Set(['page', 'per_page', 'sort', 'has_group', 'group']);
const BOOL_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const BOOL_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/**
 * v1 list parameters: `group`, `has_group`, and attribute filters `scope/name=value` (bare names
 * are the inventory scope). A value may carry Mender's `eq:` prefix; a numeric-looking value also
 * matches the number, as in Mender (which tries both).
 */
export const parseV1Filters = (query: Record<string, unknown>): Condition[] => {
  const out: Condition[] = [];
  const single = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw bad(`parameter "${name.slice(0, 64)}" may be given only once`);
    return v;
  };
  const group = single('group');
  if (group !== undefined && group !== '') {
    out.push({ attr: { scope: 'system', name: 'group' }, kind: 'in', negate: false, values: [group] });
  }
  const hasGroup = single('has_group');
  if (hasGroup !== undefined && hasGroup !== '') {
    if (!BOOL_TRUE.has(hasGroup) && !BOOL_FALSE.has(hasGroup)) throw bad('has_group must be true or false');
    out.push({ attr: { scope: 'system', name: 'group' }, kind: 'exists', negate: BOOL_FALSE.has(hasGroup) });
  }
  for (const name of Object.keys(query)) {
    if (RESERVED_V1.has(name)) continue;
    if (out.length >= MAX_FILTERS) throw bad(`at most ${MAX_FILTERS} filters`);
    const attr = parseScopedName(name);
    let value = single(name) as string;
    if (value.startsWith('eq:')) value = value.slice(3);
    if (value.length > MAX_FILTER_STRING_LENGTH)
      throw bad(`filter values are at most ${MAX_FILTER_STRING_LENGTH} characters`);
    const values: Scalar[] = [isTimeAttribute(attr) ? timeMs(attr, value) : value];
    if (!isTimeAttribute(attr) && DECIMAL.test(value)) values.push(Number(value));
    out.push({ attr, kind: 'in', negate: false, values });
  }
  return out;
};

/**
 * Test support: the operations of Gatehouse's OpenAPI document and, for each, inputs that every
 * route must refuse (wrong types and NUL at every field of its body schema, huge arrays). Pure:
 * no HTTP here.
 */

export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  pattern?: string;
  format?: string;
  $ref?: string;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: string;
  /** The OpenAPI path, e.g. `/api/management/v1/webhooks/{id}`. */
  path: string;
  key: string;
  parameters: Parameter[];
  /** The JSON body schema, when the operation takes one. */
  body: Schema | undefined;
  bearer: boolean;
}

type OpenApiDoc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, Schema> };
};

/** Every operation (path × method) of the document. */
export const operationsOf = (doc: OpenApiDoc): Operation[] => {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const content = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)
        ?.content;
      out.push({
        method: method.toUpperCase(),
        path,
        key: `${method.toUpperCase()} ${path}`,
        parameters: (op.parameters as Parameter[] | undefined) ?? [],
        body: content?.['application/json']?.schema,
        bearer: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return out;
};

const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] as const;

/** The JSON types a schema admits, or undefined when it admits anything. */
const typesOf = (s: Schema): Set<string> | undefined => {
  if (s.enum || s.const !== undefined) return undefined;
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    const all = new Set<string>();
    for (const b of branches) {
      const t = typesOf(b);
      if (!t) return undefined;
      for (const x of t) all.add(x);
    }
    return all;
  }
  if (s.type === undefined) return s.properties ? new Set(['object']) : undefined;
  const list = Array.isArray(s.type) ? s.type : [s.type];
  const set = new Set(list);
  if (set.has('number')) set.add('integer');
  return set;
};

const valueOfType: Record<(typeof JSON_TYPES)[number], unknown> = {
  string: 'wrong-type',
  number: 12.5,
  integer: 12.5,
  boolean: true,
  object: { wrong: 'type' },
  array: ['wrong', 'type'],
  null: null,
};

/** A value of a JSON type the schema does not admit, or undefined when it admits every type. */
export const wrongValueFor = (s: Schema): unknown => {
  if (s.enum) return '\u2603-not-in-enum';
  if (s.const !== undefined) return '\u2603-not-the-const';
  const types = typesOf(s);
  if (!types) return undefined;
  for (const t of JSON_TYPES) {
    // 12.5 is no integer, but a number schema takes it.
    if (t === 'integer' && types.has('number')) continue;
    if (!types.has(t)) return valueOfType[t];
  }
  return undefined;
};

const firstBranch = (s: Schema): Schema => {
  const branches = s.anyOf ?? s.oneOf;
  if (!branches) return s;
  return branches.find((b) => b.type !== 'null') ?? branches[0] ?? {};
};

/**
 * A plausible value for a schema: every property filled, arrays with one item, strings as short
 * as allowed. It need not pass validation (it is only ever sent with one field made wrong): it
 * gives every field a place, and lets the validator get as far as the wrong one.
 */
export const sampleFor = (schema: Schema, depth = 0): unknown => {
  const s = firstBranch(schema);
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type[0] : (s.type ?? (s.properties ? 'object' : undefined));
  switch (type) {
    case 'string':
      if (s.format === 'uri' || /url/i.test(s.pattern ?? '')) return 'http://127.0.0.1:9/x';
      if (s.pattern === '^[0-9]*$' || s.pattern === '^[0-9]+$') return '1';
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'number':
    case 'integer':
      return s.minimum ?? 1;
    case 'boolean':
      return false;
    case 'array':
      return depth > 6 || !s.items || s.maxItems === 0
        ? []
        : Array.from({ length: Math.max(1, s.minItems ?? 0) }, () => sampleFor(s.items as Schema, depth + 1));
    case 'object': {
      if (depth > 6) return {};
      const out: Record<string, unknown> = {};
      for (const [name, p] of Object.entries(s.properties ?? {})) out[name] = sampleFor(p, depth + 1);
      return out;
    }
    default:
      return 'x';
  }
};

export interface FieldSite {
  /** Property names and array indexes from the body's root; [] is the body itself. */
  path: (string | number)[];
  schema: Schema;
}

/** Every schema node of a body, down to `maxDepth` levels (object properties and array items). */
export const fieldSites = (schema: Schema, maxDepth = 5): FieldSite[] => {
  const out: FieldSite[] = [];
  const walk = (s: Schema, path: (string | number)[]) => {
    out.push({ path, schema: s });
    if (path.length >= maxDepth) return;
    const b = firstBranch(s);
    for (const [name, p] of Object.entries(b.properties ?? {})) walk(p, [...path, name]);
    if (b.items) walk(b.items, [...path, 0]);
  };
  walk(schema, []);
  return out;
};

/** `base` (a sample) with the value at `path` replaced, creating containers on the way. */
export const withValueAt = (base: unknown, path: (string | number)[], value: unknown): unknown => {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (typeof head === 'number') {
    const arr = Array.isArray(base) ? [...base] : [];
    arr[head] = withValueAt(arr[head], rest, value);
    return arr;
  }
  const obj = base !== null && typeof base === 'object' && !Array.isArray(base) ? { ...base } : {};
  (obj as Record<string, unknown>)[head] = withValueAt((obj as Record<string, unknown>)[head], rest, value);
  return obj;
};

/** Whether a schema node takes strings (where a NUL can go), or free-form keys. */
export const takesStrings = (s: Schema): boolean => {
  const t = typesOf(s);
  return t === undefined || t.has('string');
};
export const takesFreeKeys = (s: Schema): boolean => {
  const b = firstBranch(s);
  return (
    (b.type === 'object' || b.properties !== undefined) &&
    (b.additionalProperties === true ||
      typeof b.additionalProperties === 'object' ||
      b.patternProperties !== undefined)
  );
};
export const takesArrays = (s: Schema): boolean => firstBranch(s).type === 'array';

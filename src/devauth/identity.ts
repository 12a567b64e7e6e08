import { sha256Hex } from '../core/hash.js';
import { containsNul, NUL_MESSAGE } from '../core/json-limits.js';
import { createLru, NO_OPTIONS } from '../core/lru.js';

/**
 * Device identity canonicalisation, byte-compatible with Mender's deviceauth (Go
 * `encoding/json` of a `map[string]interface{}`): keys sorted by their UTF-8 bytes at every
 * level, compact, `<` `>` `&` U+2028 U+2029 escaped as \u00XX / \u20XX, numbers formatted like
 * Go's float64 (which JavaScript's Number#toString matches, thresholds included), lone
 * surrogates replaced by U+FFFD (Go decodes them so). The identity key of a device is the
 * SHA-256 of this string, so the `id_data` string a device sends and the `identity_data` object
 * given at preauthorization land on the same device however their keys are ordered.
 * See docs/compat/mender-device-auth.md#identity.
 */

export type IdentityValue =
  | string
  | number
  | boolean
  | null
  | IdentityValue[]
  | { [k: string]: IdentityValue };
export type Identity = Record<string, IdentityValue>;

export const MAX_IDENTITY_BYTES = 4096;
export const MAX_IDENTITY_ATTRIBUTES = 64;
const MAX_DEPTH = 8;

export class IdentityError extends Error {}

const utf8Compare = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

const encodeString = (s: string): string =>
  // toWellFormed replaces lone surrogates with U+FFFD (Node 20 has it).
  JSON.stringify((s as string & { toWellFormed(): string }).toWellFormed()).replace(
    /[<>&\u2028\u2029]/g,
    (c) => ESCAPES[c] ?? c,
  );

const encode = (v: IdentityValue, depth: number): string => {
  if (depth > MAX_DEPTH) throw new IdentityError('identity is nested too deeply');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return encodeString(v);
    case 'number':
      if (!Number.isFinite(v)) throw new IdentityError('identity numbers must be finite');
      // Go keeps the sign of negative zero; JavaScript's String(-0) drops it.
      return Object.is(v, -0) ? '-0' : String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => encode(x, depth + 1)).join(',')}]`;
      const keys = Object.keys(v).sort(utf8Compare);
      return `{${keys.map((k) => `${encodeString(k)}:${encode(v[k] as IdentityValue, depth + 1)}`).join(',')}}`;
    }
    default:
      throw new IdentityError('unsupported identity value');
  }
};

export interface CanonicalIdentity {
  /** Canonical JSON text (what is stored and shown). */
  text: string;
  /** SHA-256 hex of `text`: the identity key, unique per tenant. */
  sha256: string;
  attributes: Identity;
}

const isPlainObject = (v: unknown): v is Identity => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Canonicalises an identity object (preauthorization `identity_data`). */
export const canonicalIdentity = (value: unknown): CanonicalIdentity => {
  if (!isPlainObject(value)) throw new IdentityError('identity data must be a JSON object');
  const keys = Object.keys(value);
  if (keys.length === 0) throw new IdentityError('identity data must have at least one attribute');
  if (keys.length > MAX_IDENTITY_ATTRIBUTES) {
    throw new IdentityError(`identity data has more than ${MAX_IDENTITY_ATTRIBUTES} attributes`);
  }
  if (keys.some((k) => k.length === 0)) throw new IdentityError('identity attribute names must not be empty');
  // Stored as canonical JSON (escaped) but also as inventory attribute names and values (text).
  if (containsNul(value)) throw new IdentityError(`identity data: ${NUL_MESSAGE}`);
  const text = encode(value, 0);
  if (Buffer.byteLength(text) > MAX_IDENTITY_BYTES) {
    throw new IdentityError(`identity data is larger than ${MAX_IDENTITY_BYTES} bytes`);
  }
  return { text, sha256: sha256Hex(text), attributes: JSON.parse(text) as Identity };
};

/** Parses and canonicalises the `id_data` string of an auth request. */
export const parseIdData = (idData: string): CanonicalIdentity => {
  if (idData.length === 0) throw new IdentityError('id_data must not be empty');
  if (Buffer.byteLength(idData) > MAX_IDENTITY_BYTES * 2) {
    throw new IdentityError(`id_data is larger than ${MAX_IDENTITY_BYTES * 2} bytes`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(idData);
  } catch {
    throw new IdentityError('id_data is not valid JSON');
  }
  if (!isPlainObject(parsed)) throw new IdentityError('id_data must be a JSON object');
  return canonicalIdentity(parsed);
};

/** Longest `id_data` the cached parser remembers (a device's usual identity is far shorter). */
export const MAX_CACHED_ID_DATA_CHARS = 1024;

const deepFreeze = <T>(v: T): T => {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
};

/**
 * parseIdData with a bounded cache keyed by the `id_data` text: a device re-authenticating sends
 * the same text, and canonicalising and hashing it is most of an auth request's parse. Answers
 * are frozen (shared between requests); errors are not cached; texts longer than
 * MAX_CACHED_ID_DATA_CHARS are parsed every time. Identity attributes only, nothing secret.
 */
export const createIdDataParser = (maxEntries: number): ((idData: string) => CanonicalIdentity) => {
  const parsed = createLru<string, CanonicalIdentity>(maxEntries);
  return (idData) => {
    if (idData.length > MAX_CACHED_ID_DATA_CHARS) return parseIdData(idData);
    let identity = parsed.get(idData, NO_OPTIONS);
    if (!identity) {
      identity = deepFreeze(parseIdData(idData));
      parsed.set(idData, identity, NO_OPTIONS);
    }
    return identity;
  };
};

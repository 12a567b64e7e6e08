import { containsNul } from '../core/json-limits.js';
import { pemBlock } from '../core/pem.js';
import {
  canonicalIdentity,
  IdentityError,
  type ImportRow,
  PublicKeyError,
  parseDevicePublicKey,
} from '../devauth/index.js';
import { GROUP_NAME_RE, MAX_TAGS } from '../inventory/index.js';
import type { ManifestRecord } from './manifest-read.js';

/**
 * Turns a manifest record into a checked import row, or the reason it cannot be imported
 * (docs/factory-manifests.md). Every check a single preauthorization makes is made here, before
 * any database work, so an invalid row never reaches a transaction.
 */

export type RowCheck = { ok: true; row: ImportRow } | { ok: false; line: number; reason: string };

const MAX_TAG_NAME = 1024;
const MAX_TAG_VALUE = 4096;
const MAX_B64_KEY = 8192;
const JSON_FIELDS = new Set(['identity', 'pubkey', 'fingerprint', 'group', 'tags']);

class RowError extends Error {}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** SPKI PEM, or the base64 of the SPKI DER on one line. */
const parseKey = (text: string) => {
  let pem = text;
  if (!text.trimStart().startsWith('-----BEGIN')) {
    const b64 = text.trim();
    if (b64.length === 0 || b64.length > MAX_B64_KEY || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64))
      throw new RowError('pubkey: expected a PEM "PUBLIC KEY" block or the base64 of its DER');
    pem = pemBlock('PUBLIC KEY', b64);
  }
  try {
    return parseDevicePublicKey(pem);
  } catch (e) {
    if (e instanceof PublicKeyError) throw new RowError(`pubkey: ${e.message}`);
    throw e;
  }
};

const checkTags = (tags: Record<string, unknown>): Record<string, string> => {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw new RowError(`tags: at most ${MAX_TAGS} tags`);
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > MAX_TAG_NAME)
      throw new RowError(`tags: a tag name must have 1 to ${MAX_TAG_NAME} characters`);
    if (typeof value !== 'string' || value.length > MAX_TAG_VALUE)
      throw new RowError(
        `tags: the value of ${JSON.stringify(name)} must be a string of at most ${MAX_TAG_VALUE} characters`,
      );
  }
  return tags as Record<string, string>;
};

const build = (
  line: number,
  fields: {
    identity: unknown;
    pubkey: unknown;
    fingerprint: unknown;
    group: unknown;
    tags: Record<string, unknown>;
  },
): ImportRow => {
  if (containsNul(fields)) throw new RowError('strings must not contain NUL (U+0000)');
  if (!isPlainObject(fields.identity) || Object.keys(fields.identity).length === 0)
    throw new RowError('identity: expected an object with at least one attribute');
  let identity: ImportRow['identity'];
  try {
    identity = canonicalIdentity(fields.identity);
  } catch (e) {
    if (e instanceof IdentityError) throw new RowError(`identity: ${e.message}`);
    throw e;
  }
  if (typeof fields.pubkey !== 'string' || fields.pubkey.length === 0) throw new RowError('pubkey: required');
  const key = parseKey(fields.pubkey);
  if (fields.fingerprint !== undefined && fields.fingerprint !== '') {
    if (typeof fields.fingerprint !== 'string' || !/^[0-9a-fA-F]{64}$/.test(fields.fingerprint))
      throw new RowError('fingerprint: expected 64 hexadecimal digits (SHA-256 of the key’s DER)');
    if (fields.fingerprint.toLowerCase() !== key.sha256)
      throw new RowError(`fingerprint: does not match the key (its SHA-256 is ${key.sha256})`);
  }
  let group: string | null = null;
  if (fields.group !== undefined && fields.group !== null && fields.group !== '') {
    if (typeof fields.group !== 'string' || !GROUP_NAME_RE.test(fields.group))
      throw new RowError('group: letters, digits, "-" and "_" only (1 to 1024)');
    group = fields.group;
  }
  return {
    line,
    identity,
    key: { pem: key.pem, sha256: key.sha256, type: key.type },
    group,
    tags: checkTags(fields.tags),
  };
};

const fromJson = (line: number, value: unknown): ImportRow => {
  if (!isPlainObject(value)) throw new RowError('expected a JSON object');
  const unknown = Object.keys(value).filter((k) => !JSON_FIELDS.has(k));
  if (unknown.length > 0) throw new RowError(`unknown field ${JSON.stringify(unknown[0])}`);
  if (value.tags !== undefined && !isPlainObject(value.tags)) throw new RowError('tags: expected an object');
  return build(line, {
    identity: value.identity,
    pubkey: value.pubkey,
    fingerprint: value.fingerprint,
    group: value.group,
    tags: (value.tags as Record<string, unknown> | undefined) ?? {},
  });
};

/** The CSV header's columns, checked once per file; a bad header makes every row invalid. */
export const checkCsvHeader = (header: readonly string[]): string | undefined => {
  const seen = new Set<string>();
  let identities = 0;
  let pubkey = false;
  for (const h of header) {
    if (seen.has(h)) return `duplicate column ${JSON.stringify(h)}`;
    seen.add(h);
    if (h.startsWith('identity.') && h.length > 'identity.'.length) identities++;
    else if (h === 'pubkey') pubkey = true;
    else if (h === 'fingerprint' || h === 'group') continue;
    else if (!(h.startsWith('tag.') && h.length > 'tag.'.length))
      return `unknown column ${JSON.stringify(h)}`;
  }
  if (identities === 0) return 'no identity.<name> column';
  if (!pubkey) return 'no pubkey column';
  return undefined;
};

const headerChecks = new WeakMap<readonly string[], string | undefined>();

const fromCsv = (line: number, header: readonly string[], cells: readonly string[]): ImportRow => {
  if (!headerChecks.has(header)) headerChecks.set(header, checkCsvHeader(header));
  const bad = headerChecks.get(header);
  if (bad) throw new RowError(`header (line 1): ${bad}`);
  if (cells.length !== header.length)
    throw new RowError(`expected ${header.length} cells, found ${cells.length}`);
  const identity: Record<string, string> = {};
  const tags: Record<string, string> = {};
  const other: Record<string, string> = {};
  header.forEach((h, i) => {
    const cell = cells[i] ?? '';
    if (h.startsWith('identity.')) identity[h.slice('identity.'.length)] = cell;
    else if (h.startsWith('tag.')) {
      if (cell !== '') tags[h.slice('tag.'.length)] = cell;
    } else other[h] = cell;
  });
  return build(line, {
    identity,
    pubkey: other.pubkey,
    fingerprint: other.fingerprint,
    group: other.group,
    tags,
  });
};

export const checkRecord = (rec: ManifestRecord): RowCheck => {
  if (rec.kind === 'unreadable') return { ok: false, line: rec.line, reason: rec.reason };
  try {
    const row =
      rec.kind === 'json' ? fromJson(rec.line, rec.value) : fromCsv(rec.line, rec.header, rec.cells);
    return { ok: true, row };
  } catch (e) {
    if (e instanceof RowError) return { ok: false, line: rec.line, reason: e.message };
    throw e;
  }
};

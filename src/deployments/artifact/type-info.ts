import { ArtifactError } from './artifact-error.js';
import { MAX_LIST_ENTRIES, MAX_MAP_ENTRIES, MAX_VALUE_BYTES } from './artifact-limits.js';
import { checkName, checkNameList, isPlainObject, parseJson, parseJsonObject } from './json-checks.js';

/** headers/NNNN/type-info (v3). */
export interface TypeInfo {
  /** As written; mender-artifact before 4.3.1 writes "" for rootfs-image. */
  type: string | null | undefined;
  provides: Record<string, string>;
  depends: Record<string, string[]>;
  /** undefined when absent: an augmented type-info then keeps the original's list. */
  clearsProvides: string[] | undefined;
}

const checkValue = (value: string, where: string): string => {
  if (Buffer.byteLength(value) > MAX_VALUE_BYTES)
    throw new ArtifactError(`${where} is longer than ${MAX_VALUE_BYTES} bytes`);
  return value;
};

const entriesOf = (value: unknown, where: string): [string, unknown][] => {
  if (value === undefined || value === null) return [];
  if (!isPlainObject(value)) throw new ArtifactError(`${where} must be an object`);
  const entries = Object.entries(value);
  if (entries.length > MAX_MAP_ENTRIES)
    throw new ArtifactError(`${where} has more than ${MAX_MAP_ENTRIES} entries`);
  for (const [key] of entries) checkName(key, `${where} key '${key.slice(0, 64)}'`);
  return entries;
};

/**
 * artifact-format-v3.md allows a list as a provides value, but Mender's reader
 * (TypeInfoProvides) only accepts strings and fails the artifact otherwise, on the server and on
 * the device alike; refusing it at upload says so early instead of storing an artifact no
 * client can install.
 */
const parseProvides = (value: unknown, where: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, v] of entriesOf(value, where)) {
    if (typeof v !== 'string') {
      throw new ArtifactError(`${where}.${key} must be a string (Mender does not accept lists in provides)`);
    }
    out[key] = checkValue(v, `${where}.${key}`);
  }
  return out;
};

/** Depends values may be a string or a list of strings; a string is a one-entry list. */
const parseDepends = (value: unknown, where: string): Record<string, string[]> => {
  const out: Record<string, string[]> = {};
  for (const [key, v] of entriesOf(value, where)) {
    if (typeof v === 'string') out[key] = [checkValue(v, `${where}.${key}`)];
    else if (Array.isArray(v) && v.length <= MAX_LIST_ENTRIES && v.every((x) => typeof x === 'string')) {
      out[key] = v.map((x: string) => checkValue(x, `${where}.${key}`));
    } else throw new ArtifactError(`${where}.${key} must be a string or a list of strings`);
  }
  return out;
};

/** Unknown fields are ignored here: Mender's handlers decode type-info without DisallowUnknownFields. */
export const parseTypeInfo = (text: Buffer, where: string): TypeInfo => {
  const doc = parseJsonObject(text, where);
  const type = doc.type;
  if (type !== undefined && type !== null && typeof type !== 'string') {
    throw new ArtifactError(`${where}: type must be a string or null`);
  }
  const clears = doc.clears_artifact_provides;
  return {
    type: typeof type === 'string' ? checkName(type, `${where}: type`, { allowEmpty: true }) : type,
    provides: parseProvides(doc.artifact_provides, `${where}: artifact_provides`),
    depends: parseDepends(doc.artifact_depends, `${where}: artifact_depends`),
    clearsProvides:
      clears === undefined || clears === null
        ? undefined
        : checkNameList(clears, `${where}: clears_artifact_provides`, { max: MAX_LIST_ENTRIES }),
  };
};

/** headers/NNNN/meta-data: a JSON object, or an empty file (which rootfs-image writes). */
export const parseMetaData = (text: Buffer, where: string): Record<string, unknown> => {
  if (text.toString('utf8').trim() === '') return {};
  const doc = parseJson(text, where);
  if (!isPlainObject(doc)) throw new ArtifactError(`${where}: the top level must be a JSON object`);
  return doc;
};

/** headers/NNNN/files (v2 only): `{"files": ["name", ...]}`. */
export const parseFilesList = (text: Buffer, where: string): string[] => {
  const doc = parseJsonObject(text, where);
  return checkNameList(doc.files, `${where}: files`, { min: 1, max: MAX_LIST_ENTRIES });
};

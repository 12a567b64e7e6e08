import { isUtf8 } from 'node:buffer';
import { containsNul, DEPTH_MESSAGE, isJsonTooDeep, NUL_MESSAGE } from '../../core/json-limits.js';
import { ArtifactError } from './artifact-error.js';
import { MAX_LIST_ENTRIES, MAX_NAME_BYTES } from './artifact-limits.js';

/** Go's unicode.IsPrint, which mender-artifact applies to names: graphic characters and ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A JSON member of the artifact. The limits of every JSON input apply (valid UTF-8, nesting,
 * checked before parsing), and no string may hold U+0000: names, provides and meta-data are
 * stored, and PostgreSQL text cannot hold it (mender-artifact refuses it in names too).
 */
export const parseJson = (text: Buffer, where: string): unknown => {
  if (!isUtf8(text)) throw new ArtifactError(`${where}: not valid UTF-8`);
  if (isJsonTooDeep(text)) throw new ArtifactError(`${where}: ${DEPTH_MESSAGE}`);
  let value: unknown;
  try {
    value = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw new ArtifactError(`${where}: invalid JSON (${(e as Error).message})`);
  }
  if (containsNul(value)) throw new ArtifactError(`${where}: ${NUL_MESSAGE}`);
  return value;
};

export const parseJsonObject = (text: Buffer, where: string): Record<string, unknown> => {
  const value = parseJson(text, where);
  if (!isPlainObject(value)) throw new ArtifactError(`${where}: must be a JSON object`);
  return value;
};

/** mender-artifact decodes these files with DisallowUnknownFields: an unknown key fails there too. */
export const onlyKeys = (obj: Record<string, unknown>, allowed: readonly string[], where: string): void => {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new ArtifactError(`${where}: unexpected field '${key}'`);
  }
};

/** A name as mender-artifact validates it: a string of at most 256 bytes, printable. */
export const checkName = (value: unknown, where: string, opts: { allowEmpty?: boolean } = {}): string => {
  if (typeof value !== 'string') throw new ArtifactError(`${where} must be a string`);
  if (value === '' && !opts.allowEmpty) throw new ArtifactError(`${where} must not be empty`);
  if (Buffer.byteLength(value) > MAX_NAME_BYTES) {
    throw new ArtifactError(`${where} is longer than ${MAX_NAME_BYTES} bytes`);
  }
  if (!PRINTABLE.test(value)) throw new ArtifactError(`${where} contains non-printable characters`);
  return value;
};

/** A list of names (at most `max`). */
export const checkNameList = (
  value: unknown,
  where: string,
  opts: { min?: number; max?: number } = {},
): string[] => {
  const { min = 0, max = MAX_LIST_ENTRIES } = opts;
  if (!Array.isArray(value)) throw new ArtifactError(`${where} must be a list of strings`);
  if (value.length < min || value.length > max) {
    throw new ArtifactError(
      min > 0 ? `${where} must list ${min} to ${max} entries` : `${where} has more than ${max} entries`,
    );
  }
  return value.map((v, i) => checkName(v, `${where}[${i}]`));
};

import { createHash } from 'node:crypto';
import type { DeviceIdentity } from './keygen-plan.js';

/**
 * The file name of a device's private key (docs/factory-manifests.md, "Key files"): readable
 * for the usual identities (`SN-000042.pem`), safe on any filesystem a factory flashes from
 * (FAT included: no ":" and the like), and unique per identity:
 *
 * - the identity values, in --identity order, joined by "_";
 * - when a value is empty, does not start with a letter or digit, or holds anything but letters,
 *   digits, "." and "-", or the joined name passes MAX_PLAIN chars: the unsafe characters become
 *   "-", leading "." and "-" are dropped, the name is cut to MAX_READABLE chars, and "~" and the
 *   first HASH_CHARS hex digits of the SHA-256 of the identity (compact JSON, attributes in
 *   option order) are appended.
 *
 * A name without "~" spells the values exactly ("_" never occurs inside them), so it belongs to
 * one identity; a name with "~" carries a 64-bit digest of the whole identity. Within a run every
 * identity has the same attributes, so no two devices share a file.
 */

const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;
const UNSAFE_CHARS = /[^A-Za-z0-9.-]/g;
const MAX_PLAIN = 128;
const MAX_READABLE = 96;
const HASH_CHARS = 16;
export const KEY_FILE_SUFFIX = '.pem';

export const keyFileName = (identity: DeviceIdentity): string => {
  const values = identity.map(([, v]) => v);
  const plain = values.join('_');
  if (values.every((v) => SAFE_VALUE.test(v)) && plain.length <= MAX_PLAIN)
    return `${plain}${KEY_FILE_SUFFIX}`;
  const readable = values
    .map((v) => v.replace(UNSAFE_CHARS, '-'))
    .join('_')
    // No hidden files, nothing a shell command would take for an option.
    .replace(/^[.-]+/, '')
    .slice(0, MAX_READABLE);
  const digest = createHash('sha256')
    .update(JSON.stringify(Object.fromEntries(identity)))
    .digest('hex')
    .slice(0, HASH_CHARS);
  return `${readable}~${digest}${KEY_FILE_SUFFIX}`;
};

import { GROUP_NAME_RE, MAX_TAGS } from '../inventory/index.js';
import { enrollmentErrors } from './enrollment-errors.js';
import { type IdentitySource, identitySources } from './enrollment-types.js';

/** Limits and checks of enrollment input (the route schemas enforce the same bounds). */
export const MAX_NAME_LENGTH = 128;
export const MAX_ATTRIBUTE_LENGTH = 128;
/** DPS allows 128 characters; a certificate subject can be longer. */
export const MAX_REGISTRATION_ID_LENGTH = 256;
/** The inventory's own limit: the tags an enrollment sets must fit a device. */
export { MAX_TAGS };
export const MAX_TAG_NAME_LENGTH = 1024;
export const MAX_TAG_VALUE_LENGTH = 4096;
export const MAX_GROUPS_PER_TENANT = 1000;
const FINGERPRINT_RE = /^[0-9a-f]{64}$/;
/** PostgreSQL text cannot hold U+0000: refuse it here rather than fail the write with a 500. */
export const hasNul = (s: string): boolean => s.includes('\u0000');

export const checkName = (name: string): string => {
  const n = name.trim();
  if (n.length === 0 || n.length > MAX_NAME_LENGTH || hasNul(n))
    throw enrollmentErrors.badRequest(`name must be 1 to ${MAX_NAME_LENGTH} characters (no NUL)`);
  return n;
};

export const checkAttribute = (a: string): string => {
  if (a.length === 0 || a.length > MAX_ATTRIBUTE_LENGTH || a.trim() !== a || hasNul(a))
    throw enrollmentErrors.badRequest(
      `identity.attribute must be 1 to ${MAX_ATTRIBUTE_LENGTH} characters without surrounding spaces or NUL`,
    );
  return a;
};

export const checkSource = (s: string): IdentitySource => {
  if (!(identitySources as readonly string[]).includes(s))
    throw enrollmentErrors.badRequest(`identity.source must be one of ${identitySources.join(', ')}`);
  return s as IdentitySource;
};

export const checkInventoryGroup = (g: string | null): string | null => {
  if (g !== null && !GROUP_NAME_RE.test(g))
    throw enrollmentErrors.badRequest('inventory_group must be a group name (letters, digits, "-" and "_")');
  return g;
};

export const checkTags = (tags: Record<string, unknown>): Record<string, string> => {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) throw enrollmentErrors.badRequest(`at most ${MAX_TAGS} tags`);
  for (const [k, v] of entries) {
    if (
      k.length === 0 ||
      k.length > MAX_TAG_NAME_LENGTH ||
      hasNul(k) ||
      typeof v !== 'string' ||
      v.length > MAX_TAG_VALUE_LENGTH ||
      hasNul(v)
    )
      throw enrollmentErrors.badRequest(
        `tags must map names (1 to ${MAX_TAG_NAME_LENGTH} characters) to strings (up to ${MAX_TAG_VALUE_LENGTH}), without NUL`,
      );
  }
  return Object.fromEntries(entries) as Record<string, string>;
};

export const checkRegistrationId = (id: string): string => {
  if (id.length === 0 || id.length > MAX_REGISTRATION_ID_LENGTH || hasNul(id))
    throw enrollmentErrors.badRequest(
      `registration_id must be 1 to ${MAX_REGISTRATION_ID_LENGTH} characters without NUL`,
    );
  return id;
};

/** SHA-256 fingerprint, hex, with or without colons, any case → lowercase hex. */
export const normaliseFingerprint = (f: string): string => {
  const hex = f.replace(/:/g, '').toLowerCase();
  if (!FINGERPRINT_RE.test(hex))
    throw enrollmentErrors.badRequest(
      'certificate_fingerprint must be a SHA-256 fingerprint (64 hex digits)',
    );
  return hex;
};

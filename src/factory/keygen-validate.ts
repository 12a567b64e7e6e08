import { canonicalIdentity } from '../devauth/index.js';
import { MAX_TAG_NAME_LENGTH, MAX_TAG_VALUE_LENGTH } from '../enrollment/index.js';
import { GROUP_NAME_RE, MAX_TAGS } from '../inventory/index.js';
import { KeygenError } from './keygen-errors.js';
import { checkMacRange, parseMac } from './keygen-mac.js';
import { deviceIdentity, type KeygenPlan, type KeyType, type ManifestFormat } from './keygen-plan.js';
import { parseIdentityOption, usesPlaceholder } from './keygen-template.js';

/**
 * Turns keygen's options into a plan, refusing (before any key exists) everything that would
 * give a manifest the server's import refuses or a fleet it cannot tell apart: identities by
 * devauth's own canonicalisation and limits, the group by the inventory's name rule, tags by the
 * strictest limits Gatehouse applies to tags anywhere (enrollment's).
 */

export const MAX_COUNT = 10_000_000;
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 8192;
export const DEFAULT_RSA_BITS = 3072;

export interface KeygenOptions {
  count: number;
  keyType: KeyType;
  /** Only for RSA; default DEFAULT_RSA_BITS. */
  rsaBits?: number;
  /** `name=template`, in order. */
  identity: string[];
  seqStart: number;
  macStart?: string;
  group?: string;
  /** `name=value`, in order. */
  tags: string[];
  format: ManifestFormat;
}

// The Mender client reads its identity from `key=value` lines of a script's output: no control
// character (a line break above all) can ever be part of what a device sends.
const hasControl = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
};

const checkRsaBits = (opts: KeygenOptions): number => {
  if (opts.keyType !== 'rsa') {
    if (opts.rsaBits !== undefined)
      throw new KeygenError(`--bits is for RSA keys only (--type ${opts.keyType})`);
    return DEFAULT_RSA_BITS;
  }
  const bits = opts.rsaBits ?? DEFAULT_RSA_BITS;
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
    throw new KeygenError(`--bits must be from ${MIN_RSA_BITS} to ${MAX_RSA_BITS}`);
  return bits;
};

const parseTags = (tags: string[]): [string, string][] => {
  if (tags.length > MAX_TAGS)
    throw new KeygenError(`at most ${MAX_TAGS} --tag options (a device holds ${MAX_TAGS} tags)`);
  const seen = new Set<string>();
  return tags.map((t) => {
    const eq = t.indexOf('=');
    const name = eq < 0 ? t : t.slice(0, eq);
    const value = eq < 0 ? '' : t.slice(eq + 1);
    if (eq <= 0 || name.length > MAX_TAG_NAME_LENGTH || value.length > MAX_TAG_VALUE_LENGTH)
      throw new KeygenError(
        `--tag "${t}": expected name=value (name 1 to ${MAX_TAG_NAME_LENGTH} characters, value up to ${MAX_TAG_VALUE_LENGTH})`,
      );
    if (t.includes('\u0000')) throw new KeygenError(`--tag "${name}": NUL is not allowed`);
    if (seen.has(name)) throw new KeygenError(`--tag "${name}" is given twice`);
    seen.add(name);
    return [name, value];
  });
};

/** Devauth's checks on a device's identity (attribute count, size, NUL), as a keygen message. */
const checkIdentityOf = (plan: KeygenPlan, index: number) => {
  try {
    canonicalIdentity(Object.fromEntries(deviceIdentity(plan, index)));
  } catch (e) {
    throw new KeygenError(`identity of device ${index + 1}: ${(e as Error).message}`);
  }
};

export const buildPlan = (opts: KeygenOptions): KeygenPlan => {
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > MAX_COUNT)
    throw new KeygenError(`--count must be from 1 to ${MAX_COUNT.toLocaleString('en-US')}`);
  if (!Number.isSafeInteger(opts.seqStart) || opts.seqStart < 0)
    throw new KeygenError('--seq-start must be a non-negative integer');
  if (!Number.isSafeInteger(opts.seqStart + opts.count - 1))
    throw new KeygenError('--seq-start is too large for --count devices');
  if (opts.identity.length === 0)
    throw new KeygenError('at least one --identity name=template is required, e.g. serialnumber=SN-{seq:06}');

  const identity = opts.identity.map(parseIdentityOption);
  const names = new Set<string>();
  for (const t of identity) {
    if (hasControl(t.name) || hasControl(t.template))
      throw new KeygenError(
        `--identity "${t.name}": control characters (line breaks, NUL ...) cannot be part of an identity`,
      );
    if (names.has(t.name)) throw new KeygenError(`--identity "${t.name}" is given twice`);
    names.add(t.name);
  }
  const varies = identity.some((t) => usesPlaceholder(t, 'seq') || usesPlaceholder(t, 'mac'));
  if (opts.count > 1 && !varies)
    throw new KeygenError(
      `with --count ${opts.count} every device needs its own identity: put {seq} or {mac} in an --identity template`,
    );

  const usesMac = identity.some((t) => usesPlaceholder(t, 'mac'));
  let macStart: number | undefined;
  if (usesMac) {
    if (opts.macStart === undefined)
      throw new KeygenError('an --identity template uses {mac}: give --mac-start');
    macStart = parseMac(opts.macStart);
    checkMacRange(macStart, opts.count);
  } else if (opts.macStart !== undefined) {
    throw new KeygenError('--mac-start is given but no --identity template uses {mac}');
  }

  if (opts.group !== undefined && !GROUP_NAME_RE.test(opts.group))
    throw new KeygenError(`--group "${opts.group}": 1 to 1024 letters, digits, "-" and "_"`);

  const plan: KeygenPlan = {
    count: opts.count,
    keyType: opts.keyType,
    rsaBits: checkRsaBits(opts),
    identity,
    seqStart: opts.seqStart,
    macStart,
    group: opts.group,
    tags: parseTags(opts.tags),
    format: opts.format,
  };
  // Values differ only in {seq} and {mac}, whose text only grows with the index: the first and
  // the last device bound every other one's size.
  checkIdentityOf(plan, 0);
  if (plan.count > 1) checkIdentityOf(plan, plan.count - 1);
  return plan;
};

import { isUtf8 } from 'node:buffer';
import { containsNul, DEPTH_MESSAGE, isJsonTooDeep, NUL_MESSAGE } from '../core/json-limits.js';
import { GROUP_NAME_RE } from '../inventory/index.js';
import type { AllocationOverrides, AllocationResult } from './webhooks-types.js';

/**
 * The allocation webhook's answer (docs/webhooks.md, "Allocation webhook"), checked strictly:
 *
 *   { "decision": "allow" | "deny"  (or "allow": true | false, or AWS IoT's pre-provisioning
 *     hook's "allowProvisioning": true | false; exactly one of the three),
 *     "reason"?: string, "group"?: string, "tags"?: {string: string}, "config"?: object }
 *
 * Anything else (unknown fields, wrong types, limits exceeded) is malformed, and a malformed
 * answer denies. Overrides in a deny are checked but have no effect.
 */
export const MAX_REASON_LENGTH = 1024;
export const MAX_OVERRIDE_TAGS = 20;
export const MAX_CONFIG_BYTES = 16 * 1024;
const DECISION_KEYS = ['decision', 'allow', 'allowProvisioning'] as const;
const ALLOWED_KEYS = new Set<string>([...DECISION_KEYS, 'reason', 'group', 'tags', 'config']);

export type ParsedAnswer = { ok: true; result: AllocationResult } | { ok: false; problem: string };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const parseAllocationAnswer = (body: Buffer): ParsedAnswer => {
  // The target's answer is untrusted like any request body: the same limits apply before parsing.
  if (!isUtf8(body)) return { ok: false, problem: 'body is not valid UTF-8' };
  if (isJsonTooDeep(body)) return { ok: false, problem: `body is ${DEPTH_MESSAGE}` };
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: false, problem: 'body is not JSON' };
  }
  if (!isPlainObject(json)) return { ok: false, problem: 'body is not a JSON object' };
  // The reason, group, tags and config are stored (PostgreSQL text cannot hold U+0000).
  if (containsNul(json)) return { ok: false, problem: `body: ${NUL_MESSAGE}` };
  const unknown = Object.keys(json).filter((k) => !ALLOWED_KEYS.has(k));
  if (unknown.length > 0) return { ok: false, problem: `unknown field "${unknown[0]?.slice(0, 64)}"` };

  let allow: boolean;
  const given = DECISION_KEYS.filter((k) => k in json);
  if (given.length > 1) return { ok: false, problem: `both "${given[0]}" and "${given[1]}"` };
  const [key] = given;
  if (key === undefined) return { ok: false, problem: 'none of "decision", "allow" and "allowProvisioning"' };
  if (key === 'decision') {
    if (json.decision !== 'allow' && json.decision !== 'deny')
      return { ok: false, problem: '"decision" must be "allow" or "deny"' };
    allow = json.decision === 'allow';
  } else {
    const value = json[key];
    if (typeof value !== 'boolean') return { ok: false, problem: `"${key}" must be a boolean` };
    allow = value;
  }

  if ('reason' in json && (typeof json.reason !== 'string' || json.reason.length > MAX_REASON_LENGTH))
    return { ok: false, problem: `"reason" must be a string of at most ${MAX_REASON_LENGTH} characters` };
  const overrides: AllocationOverrides = {};
  if ('group' in json) {
    if (typeof json.group !== 'string' || !GROUP_NAME_RE.test(json.group))
      return { ok: false, problem: '"group" must be a group name (letters, digits, "-" and "_")' };
    overrides.group = json.group;
  }
  if ('tags' in json) {
    const tags = json.tags;
    if (!isPlainObject(tags)) return { ok: false, problem: '"tags" must be an object of strings' };
    const entries = Object.entries(tags);
    if (entries.length > MAX_OVERRIDE_TAGS)
      return { ok: false, problem: `more than ${MAX_OVERRIDE_TAGS} tags` };
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > 1024 || typeof v !== 'string' || v.length > 4096)
        return { ok: false, problem: '"tags" must map names (1..1024 characters) to strings (up to 4096)' };
    }
    overrides.tags = tags as Record<string, string>;
  }
  if ('config' in json) {
    if (!isPlainObject(json.config)) return { ok: false, problem: '"config" must be a JSON object' };
    if (Buffer.byteLength(JSON.stringify(json.config)) > MAX_CONFIG_BYTES)
      return { ok: false, problem: `"config" larger than ${MAX_CONFIG_BYTES} bytes` };
    overrides.bootstrap_config = json.config;
  }

  if (!allow) {
    const reason = typeof json.reason === 'string' && json.reason !== '' ? json.reason : 'no reason given';
    return { ok: true, result: { decision: 'deny', reason: `denied by allocation webhook: ${reason}` } };
  }
  return {
    ok: true,
    result: Object.keys(overrides).length > 0 ? { decision: 'allow', overrides } : { decision: 'allow' },
  };
};

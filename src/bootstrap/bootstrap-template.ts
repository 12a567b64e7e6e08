import type { TemplateMode } from './bootstrap-types.js';

/**
 * Logic-less content templates (docs/adr/0008-bootstrap.md, "Templates"):
 *
 * - `{{scope.name}}` is replaced by a value; spaces inside the braces are allowed.
 *   Scopes: `identity.*`, `inventory.*`, `tags.*` (the linked device's inventory attributes; a
 *   name may contain dots, e.g. `{{inventory.rootfs-image.version}}`), `device.id`,
 *   `device.tenant_id`, `config.client_id`, `config.external_id`, `config.name`.
 * - `{{{{` is a literal `{{`. Any other `{{` that is not a valid placeholder is an error, reported
 *   when the config is saved, never at delivery.
 * - A value that is missing (attribute not reported, no linked device) renders as "".
 *   Numbers render in JSON form, lists joined with ",".
 * - Mode `text` inserts values verbatim; mode `json` escapes them as the inside of a JSON string
 *   (write `"mac": "{{identity.mac}}"`), so no value can break out of its string.
 */
export type Segment = { text: string } | { scope: Scope; name: string };

export const templateScopes = ['identity', 'inventory', 'tags', 'device', 'config'] as const;
export type Scope = (typeof templateScopes)[number];
const FIXED_NAMES: Partial<Record<Scope, readonly string[]>> = {
  device: ['id', 'tenant_id'],
  config: ['client_id', 'external_id', 'name'],
};
const PLACEHOLDER = /^[ \t]*(identity|inventory|tags|device|config)\.([^\s{}]+)[ \t]*$/;
const MAX_PLACEHOLDERS = 1000;

export class TemplateError extends Error {}

export const parseTemplate = (source: string): Segment[] => {
  const out: Segment[] = [];
  let text = '';
  let i = 0;
  let placeholders = 0;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    if (open < 0) {
      text += source.slice(i);
      break;
    }
    text += source.slice(i, open);
    if (source.startsWith('{{{{', open)) {
      text += '{{';
      i = open + 4;
      continue;
    }
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`unclosed "{{" at offset ${open}`);
    const inner = source.slice(open + 2, close);
    const m = PLACEHOLDER.exec(inner);
    if (!m) {
      throw new TemplateError(
        `unknown placeholder "{{${inner.slice(0, 60)}}}" at offset ${open} (write "{{{{" for a literal "{{")`,
      );
    }
    const scope = m[1] as Scope;
    const name = m[2] as string;
    const fixed = FIXED_NAMES[scope];
    if (fixed && !fixed.includes(name)) {
      throw new TemplateError(
        `unknown placeholder "{{${scope}.${name}}}": ${scope}.* is one of ${fixed.join(', ')}`,
      );
    }
    if (++placeholders > MAX_PLACEHOLDERS)
      throw new TemplateError(`more than ${MAX_PLACEHOLDERS} placeholders`);
    if (text) out.push({ text });
    text = '';
    out.push({ scope, name });
    i = close + 2;
  }
  if (text) out.push({ text });
  return out;
};

export type TemplateValue = string | number | readonly (string | number)[] | null | undefined;
export type TemplateValues = (scope: Scope, name: string) => TemplateValue;

const asText = (v: TemplateValue): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return JSON.stringify(v);
  return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(',');
};

export const renderTemplate = (
  segments: readonly Segment[],
  values: TemplateValues,
  mode: Exclude<TemplateMode, 'none'>,
): string => {
  let out = '';
  for (const s of segments) {
    if ('text' in s) {
      out += s.text;
      continue;
    }
    const text = asText(values(s.scope, s.name));
    out += mode === 'json' ? JSON.stringify(text).slice(1, -1) : text;
  }
  return out;
};

/** Whether a template uses the linked device's attributes (so delivery must read them). */
export const needsDeviceAttributes = (segments: readonly Segment[]): boolean =>
  segments.some(
    (s) => 'scope' in s && (s.scope === 'identity' || s.scope === 'inventory' || s.scope === 'tags'),
  );

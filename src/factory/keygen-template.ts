import { KeygenError } from './keygen-errors.js';
import { formatMac, type MacStyle } from './keygen-mac.js';

/**
 * Identity templates of `gatehouse keygen --identity name=template` (docs/factory-manifests.md,
 * "Generating keys"). Deliberately tiny: a factory needs a counter and a MAC range, and every
 * extra feature is one more way for two devices to end up with the same identity.
 *
 *   {seq}        the device's sequence number (--seq-start, +1 per device)
 *   {seq:0N}     the same, zero-padded to at least N digits (N = 1..20)
 *   {mac}        the device's MAC (--mac-start, +1 per device): aa:bb:cc:dd:ee:ff
 *   {mac:-}      aa-bb-cc-dd-ee-ff
 *   {mac:hex}    aabbccddeeff
 *   {{ and }}    a literal { and }
 *
 * Templates are parsed once into parts (plain data, so they can be sent to worker threads).
 */

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'seq'; width: number }
  | { kind: 'mac'; style: MacStyle };

export interface IdentityTemplate {
  name: string;
  /** As given, for messages. */
  template: string;
  parts: TemplatePart[];
}

export interface DeviceCounters {
  seq: number;
  /** Undefined when no --mac-start was given (then no template may use {mac}). */
  mac: number | undefined;
}

const MAX_SEQ_WIDTH = 20;

const placeholder = (body: string, template: string): TemplatePart => {
  if (body === 'seq') return { kind: 'seq', width: 0 };
  const padded = /^seq:0(\d{1,2})$/.exec(body);
  if (padded) {
    const width = Number(padded[1]);
    if (width >= 1 && width <= MAX_SEQ_WIDTH) return { kind: 'seq', width };
  }
  if (body === 'mac') return { kind: 'mac', style: 'colon' };
  if (body === 'mac:-') return { kind: 'mac', style: 'dash' };
  if (body === 'mac:hex') return { kind: 'mac', style: 'hex' };
  throw new KeygenError(
    `unknown placeholder {${body}} in "${template}" (use {seq}, {seq:0N} with N up to ${MAX_SEQ_WIDTH}, {mac}, {mac:-} or {mac:hex}; {{ and }} for braces)`,
  );
};

export const parseTemplate = (template: string): TemplatePart[] => {
  const parts: TemplatePart[] = [];
  let text = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i++;
    } else if (c === '{') {
      const end = template.indexOf('}', i + 1);
      if (end < 0) throw new KeygenError(`unclosed "{" in "${template}" (write {{ for a literal brace)`);
      if (text !== '') parts.push({ kind: 'text', text });
      text = '';
      parts.push(placeholder(template.slice(i + 1, end), template));
      i = end;
    } else if (c === '}') {
      throw new KeygenError(`unmatched "}" in "${template}" (write }} for a literal brace)`);
    } else text += c;
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return parts;
};

/** `name=template` of an --identity option (the name is up to the first "="). */
export const parseIdentityOption = (option: string): IdentityTemplate => {
  const eq = option.indexOf('=');
  if (eq <= 0)
    throw new KeygenError(`--identity "${option}": expected name=template, e.g. serialnumber=SN-{seq:06}`);
  const template = option.slice(eq + 1);
  return { name: option.slice(0, eq), template, parts: parseTemplate(template) };
};

export const usesPlaceholder = (t: IdentityTemplate, kind: 'seq' | 'mac'): boolean =>
  t.parts.some((p) => p.kind === kind);

export const expandTemplate = (parts: readonly TemplatePart[], counters: DeviceCounters): string => {
  let out = '';
  for (const p of parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'seq') out += String(counters.seq).padStart(p.width, '0');
    else {
      if (counters.mac === undefined) throw new KeygenError('{mac} needs --mac-start');
      out += formatMac(counters.mac, p.style);
    }
  }
  return out;
};

import { describe, expect, it } from 'vitest';
import { parseMac } from './keygen-mac.js';
import { expandTemplate, parseIdentityOption, parseTemplate, usesPlaceholder } from './keygen-template.js';

const expand = (template: string, seq: number, mac?: string) =>
  expandTemplate(parseTemplate(template), { seq, mac: mac === undefined ? undefined : parseMac(mac) });

describe('identity templates', () => {
  it('expands {seq}, {seq:0N} and the three MAC forms', () => {
    expect(expand('SN-{seq:06}', 42)).toBe('SN-000042');
    expect(expand('SN-{seq:03}', 12345)).toBe('SN-12345');
    expect(expand('{seq}', 7)).toBe('7');
    expect(expand('dev-{seq:01}', 0)).toBe('dev-0');
    expect(expand('{mac}', 1, '02:00:00:00:0A:01')).toBe('02:00:00:00:0a:01');
    expect(expand('{mac:-}', 1, '02:00:00:00:0a:01')).toBe('02-00-00-00-0a-01');
    expect(expand('eth-{mac:hex}-{seq:04}', 9, '02:00:00:00:0a:01')).toBe('eth-020000000a01-0009');
  });

  it('keeps literal text and reads {{ and }} as braces', () => {
    expect(expand('plain', 1)).toBe('plain');
    expect(expand('{{x}}-{seq}', 3)).toBe('{x}-3');
    expect(expand('}}{{', 3)).toBe('}{');
    expect(expand('', 3)).toBe('');
  });

  it('refuses unknown placeholders and stray braces with a message that shows the template', () => {
    expect(() => parseTemplate('SN-{serial}')).toThrow('unknown placeholder {serial} in "SN-{serial}"');
    expect(() => parseTemplate('{seq:6}')).toThrow('unknown placeholder {seq:6}');
    expect(() => parseTemplate('{seq:00}')).toThrow('unknown placeholder');
    expect(() => parseTemplate('{seq:021}')).toThrow('unknown placeholder');
    expect(() => parseTemplate('{mac:upper}')).toThrow('unknown placeholder');
    expect(() => parseTemplate('SN-{seq')).toThrow('unclosed "{"');
    expect(() => parseTemplate('SN-}')).toThrow('unmatched "}"');
  });

  it('parses name=template options (the name ends at the first "=")', () => {
    const t = parseIdentityOption('serialnumber=SN-{seq:06}');
    expect(t.name).toBe('serialnumber');
    expect(t.template).toBe('SN-{seq:06}');
    expect(usesPlaceholder(t, 'seq')).toBe(true);
    expect(usesPlaceholder(t, 'mac')).toBe(false);
    expect(parseIdentityOption('k=a=b').template).toBe('a=b');
    expect(() => parseIdentityOption('=x')).toThrow('expected name=template');
    expect(() => parseIdentityOption('serial')).toThrow('expected name=template');
  });

  it('says when {mac} is used without a MAC', () => {
    expect(() => expand('{mac}', 1)).toThrow('{mac} needs --mac-start');
  });
});

import { describe, expect, it } from 'vitest';
import {
  canonicalIdentity,
  createIdDataParser,
  IdentityError,
  MAX_CACHED_ID_DATA_CHARS,
  parseIdData,
} from './identity.js';

// Expected strings are what Go's encoding/json produces for the same map[string]interface{}
// (deviceauth utils.JsonSort), see docs/compat/mender-device-auth.md#identity.
describe('identity canonicalisation (Go encoding/json compatible)', () => {
  it('sorts keys and compacts, so order and whitespace do not matter', () => {
    const a = parseIdData('{ "serialnumber": "1928819", "mac": "02:12:61:13:6c:42" }');
    const b = canonicalIdentity({ mac: '02:12:61:13:6c:42', serialnumber: '1928819' });
    expect(a.text).toBe('{"mac":"02:12:61:13:6c:42","serialnumber":"1928819"}');
    expect(a.sha256).toBe(b.sha256);
  });

  it('sorts nested objects and keeps array order', () => {
    expect(canonicalIdentity({ z: { b: 1, a: [3, 1] }, a: 'x' }).text).toBe(
      '{"a":"x","z":{"a":[3,1],"b":1}}',
    );
  });

  it('sorts keys by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (F0 ...) in UTF-8 but after it in UTF-16.
    const text = canonicalIdentity({ '\u{1F600}': 1, '\uFF5E': 2 }).text;
    expect(text).toBe('{"\uFF5E":2,"\u{1F600}":1}');
  });

  it('escapes <, >, &, U+2028 and U+2029 like Go', () => {
    expect(canonicalIdentity({ k: '<a&b>\u2028\u2029' }).text).toBe(
      '{"k":"\\u003ca\\u0026b\\u003e\\u2028\\u2029"}',
    );
  });

  it('formats numbers like Go float64', () => {
    expect(parseIdData('{"a":1.0,"b":1e21,"c":0.000001,"d":1e-7,"e":-0,"f":123456789012}').text).toBe(
      '{"a":1,"b":1e+21,"c":0.000001,"d":1e-7,"e":-0,"f":123456789012}',
    );
  });

  it('keeps value types significant ("1" differs from 1)', () => {
    expect(canonicalIdentity({ a: '1' }).sha256).not.toBe(canonicalIdentity({ a: 1 }).sha256);
  });

  it('lets the last duplicate key win', () => {
    expect(parseIdData('{"mac":"a","mac":"b"}').text).toBe('{"mac":"b"}');
  });

  it('replaces lone surrogates with U+FFFD', () => {
    expect(parseIdData('{"a":"\\ud800"}').text).toBe('{"a":"\uFFFD"}');
  });

  it('treats __proto__ as an ordinary key', () => {
    const c = parseIdData('{"__proto__":"x","mac":"m"}');
    expect(c.text).toBe('{"__proto__":"x","mac":"m"}');
  });

  it.each([
    ['[]', 'must be a JSON object'],
    ['"mac"', 'must be a JSON object'],
    ['null', 'must be a JSON object'],
    ['{}', 'at least one attribute'],
    ['{"mac":', 'not valid JSON'],
    ['', 'must not be empty'],
  ])('refuses id_data %j', (input, message) => {
    expect(() => parseIdData(input)).toThrow(message);
  });

  it('refuses oversized and deeply nested identities', () => {
    expect(() => canonicalIdentity({ a: 'x'.repeat(5000) })).toThrow(IdentityError);
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(() => canonicalIdentity({ a: deep })).toThrow('nested too deeply');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(() => canonicalIdentity(many)).toThrow('more than 64');
  });
});

describe('the cached id_data parser', () => {
  it('answers as parseIdData does, the same frozen answer for the same text', () => {
    const parse = createIdDataParser(2);
    const text = '{"serial":"b","mac":"a","nested":{"z":[1,{"y":true}]}}';
    const first = parse(text);
    expect(first).toEqual(parseIdData(text));
    expect(parse(text)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.attributes.nested)).toBe(true);
    expect(() => {
      (first.attributes as Record<string, unknown>).mac = 'changed';
    }).toThrow(TypeError);
    expect(parse(text).attributes.mac).toBe('a');
  });

  it('throws for a bad text every time (errors are not remembered)', () => {
    const parse = createIdDataParser(2);
    for (let i = 0; i < 2; i++) expect(() => parse('{"a":')).toThrow(IdentityError);
    expect(() => parse('[]')).toThrow(IdentityError);
  });

  it('keeps at most its bound, the least recently used forgotten first', () => {
    const parse = createIdDataParser(2);
    const a = parse('{"a":1}');
    const b = parse('{"b":1}');
    expect(parse('{"a":1}')).toBe(a);
    parse('{"c":1}');
    expect(parse('{"a":1}')).toBe(a);
    expect(parse('{"b":1}')).not.toBe(b);
    expect(parse('{"b":1}')).toEqual(b);
  });

  it('parses a text longer than its limit every time, with the same answer', () => {
    const parse = createIdDataParser(2);
    const text = JSON.stringify({ serial: 'x'.repeat(MAX_CACHED_ID_DATA_CHARS) });
    const first = parse(text);
    expect(parse(text)).not.toBe(first);
    expect(parse(text)).toEqual(parseIdData(text));
  });
});

import { describe, expect, it } from 'vitest';
import {
  checkGroupName,
  checkRegex,
  parseFilterTerm,
  parseSortParam,
  parseV1Filters,
} from './inventory-filters.js';

describe('inventory filters', () => {
  it('reads v1 parameters like Mender: bare names are inventory, eq: prefix, numbers match both types', () => {
    expect(parseV1Filters({ page: '1', sort: 'x', device_type: 'eq:rpi4', 'identity/mac': 'a:b' })).toEqual([
      { attr: { scope: 'inventory', name: 'device_type' }, kind: 'in', negate: false, values: ['rpi4'] },
      { attr: { scope: 'identity', name: 'mac' }, kind: 'in', negate: false, values: ['a:b'] },
    ]);
    expect(parseV1Filters({ cpu: '4' })[0]).toMatchObject({ values: ['4', 4] });
    expect(parseV1Filters({ mem: '-1.5e3' })[0]).toMatchObject({ values: ['-1.5e3', -1500] });
    for (const v of ['0x10', 'Infinity', ' ', '1 '])
      expect(parseV1Filters({ x: v })[0]).toMatchObject({ values: [v] });
    expect(parseV1Filters({ group: 'g1', has_group: 'false' })).toEqual([
      { attr: { scope: 'system', name: 'group' }, kind: 'in', negate: false, values: ['g1'] },
      { attr: { scope: 'system', name: 'group' }, kind: 'exists', negate: true },
    ]);
    expect(parseV1Filters({ 'system/created_ts': '2030-01-01T00:00:00Z' })[0]).toMatchObject({
      values: [Date.parse('2030-01-01T00:00:00Z')],
    });
    expect(() => parseV1Filters({ x: ['1', '2'] })).toThrow(/only once/);
    // v1 parameters keep to the stored scopes (v2 searches take any, inventory-search.test.ts).
    expect(() => parseV1Filters({ 'monitor/x': '1' })).toThrow(/unknown scope/);
  });

  it('reads sort parameters with optional order, several keys, colons only as separators', () => {
    expect(parseSortParam('cpu,identity/mac:desc')).toEqual([
      { attr: { scope: 'inventory', name: 'cpu' }, desc: false },
      { attr: { scope: 'identity', name: 'mac' }, desc: true },
    ]);
    expect(parseSortParam(undefined)).toEqual([]);
    expect(() => parseSortParam('cpu:down')).toThrow(/sort order/);
    expect(() => parseSortParam(Array(9).fill('a').join(','))).toThrow(/at most/);
  });

  it('types v2 terms and refuses what MongoDB would not compare', () => {
    const term = (type: string, value?: unknown) =>
      parseFilterTerm({ scope: 'inventory', attribute: 'a', type, value });
    expect(term('$ne', 'x')).toMatchObject({ kind: 'in', negate: true, values: ['x'] });
    expect(term('$nin', ['x', 1])).toMatchObject({ kind: 'in', negate: true, values: ['x', 1] });
    expect(term('$lte', 3)).toMatchObject({ kind: 'cmp', op: '<=', value: 3 });
    expect(term('$exists', false)).toMatchObject({ kind: 'exists', negate: true });
    expect(term('$regex', 'ab+')).toMatchObject({ kind: 'regex', pattern: '^(?:ab+)' });
    for (const [type, value] of [
      ['$eq', null],
      ['$eq', true],
      ['$eq', Number.NaN],
      ['$in', 'x'],
      ['$in', [{}]],
      ['$exists', 1],
      ['$regex', ''],
      ['$where', 'x'],
    ] as const) {
      expect(() => term(type, value), `${type} ${String(value)}`).toThrow();
    }
    expect(() =>
      parseFilterTerm({
        scope: 'system',
        attribute: 'updated_ts',
        type: '$gt',
        value: '2030-13-01T00:00:00Z',
      }),
    ).toThrow(/RFC 3339/);
  });

  it('anchors and checks regular expressions, and checks group names', () => {
    expect(checkRegex('^x')).toBe('^x');
    expect(checkRegex('.*x|y')).toBe('^(?:.*x|y)');
    expect(() => checkRegex('a)|(b')).toThrow(/not a valid/);
    expect(() => checkRegex('[')).toThrow(/not a valid/);
    expect(() => checkRegex('a'.repeat(513))).toThrow(/1\.\.512/);
    expect(checkGroupName('Prod_eu-1')).toBe('Prod_eu-1');
    for (const g of ['', 'a b', 'a.b', 'x'.repeat(1025)])
      expect(() => checkGroupName(g)).toThrow(/Group name/);
  });
});

import { describe, expect, it } from 'vitest';
import { ImportError, parseCsv, parseImportFile } from './bootstrap-import.js';

describe('bootstrap import files', () => {
  it('parses RFC 4180 CSV: quotes, commas, doubled quotes and newlines in fields', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",\n\n')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 3, cells: ['multi\nline', ''] },
    ]);
    expect(() => parseCsv('a\n"open')).toThrow(/unterminated/);
  });

  it('reads CSV rows into create inputs, channels split on spaces or semicolons', () => {
    const rows = parseImportFile(
      'f.csv',
      'external_id,external_key,name,channels,state,content_template\nm1,k1,gw 1,c1;c2 c3,1,json\nm2,k2,,,0,\n',
    );
    expect(rows).toEqual([
      {
        line: 2,
        input: {
          externalId: 'm1',
          externalKey: 'k1',
          name: 'gw 1',
          channels: ['c1', 'c2', 'c3'],
          contentTemplate: 'json',
        },
        state: 1,
        specified: new Set(['external_id', 'external_key', 'name', 'channels', 'state', 'content_template']),
      },
      {
        line: 3,
        input: { externalId: 'm2', externalKey: 'k2' },
        state: 0,
        // Empty cells are named by the header: "none" for the comparison of a rerun.
        specified: new Set(['external_id', 'external_key', 'name', 'channels', 'state', 'content_template']),
      },
    ]);
  });

  it('reads JSON Lines with the HTTP field names', () => {
    const rows = parseImportFile(
      'f.jsonl',
      '{"external_id":"m1","external_key":"k1","channels":["c1"],"state":1,"client_key":"PEM"}\n\n{"external_id":"m2","external_key":"k2"}\n',
    );
    expect(
      rows.map((r) => [r.line, r.input.externalId, r.input.clientKey, r.state, [...r.specified]]),
    ).toEqual([
      [1, 'm1', 'PEM', 1, ['external_id', 'external_key', 'channels', 'state', 'client_key']],
      [3, 'm2', undefined, 0, ['external_id', 'external_key']],
    ]);
  });

  it.each([
    ['f.csv', 'external_id,external_key,color\na,b,red\n', /line 2: unknown field "color"/],
    ['f.csv', 'external_id,external_key\na\n', /line 2: 1 fields, the header has 2/],
    ['f.csv', 'external_id,name\na,b\n', /external_id and external_key are required/],
    ['f.jsonl', '{"external_id":"a","external_key":"b","state":2}', /state must be 0 or 1/],
    ['f.jsonl', 'nope', /line 1: not JSON/],
    ['f.jsonl', '{"external_id":"a","external_key":"b","content_template":"go"}', /content_template/],
    ['f.txt', '', /\.csv or \.jsonl/],
  ])('refuses %s %j', (name, text, message) => {
    expect(() => parseImportFile(name, text)).toThrow(ImportError);
    expect(() => parseImportFile(name, text)).toThrow(message);
  });
});

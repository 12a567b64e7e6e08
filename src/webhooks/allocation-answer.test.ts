import { describe, expect, it } from 'vitest';
import { parseAllocationAnswer } from './allocation-answer.js';

const parse = (v: unknown) =>
  parseAllocationAnswer(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));

describe('allocation webhook answers', () => {
  it('allows, with or without overrides, in all three spellings', () => {
    expect(parse({ allow: true })).toEqual({ ok: true, result: { decision: 'allow' } });
    expect(parse({ allowProvisioning: true })).toEqual({ ok: true, result: { decision: 'allow' } });
    expect(parse({ decision: 'allow' })).toEqual({ ok: true, result: { decision: 'allow' } });
    expect(
      parse({
        decision: 'allow',
        group: 'field-7',
        tags: { site: 'north' },
        config: { mqtt: { host: 'h' } },
      }),
    ).toEqual({
      ok: true,
      result: {
        decision: 'allow',
        overrides: { group: 'field-7', tags: { site: 'north' }, bootstrap_config: { mqtt: { host: 'h' } } },
      },
    });
  });

  it('denies with the reason given', () => {
    expect(parse({ decision: 'deny', reason: 'serial not on the allow-list' })).toEqual({
      ok: true,
      result: { decision: 'deny', reason: 'denied by allocation webhook: serial not on the allow-list' },
    });
    for (const answer of [{ allow: false }, { allowProvisioning: false }])
      expect(parse(answer)).toEqual({
        ok: true,
        result: { decision: 'deny', reason: 'denied by allocation webhook: no reason given' },
      });
  });

  it('calls everything else malformed', () => {
    for (const bad of [
      '',
      'not json',
      '[]',
      'null',
      '"allow"',
      {},
      { decision: 'maybe' },
      { allow: 'true' },
      { allow: true, decision: 'allow' },
      { allowProvisioning: true, allow: true },
      { allowProvisioning: 'true' },
      { allowProvisioning: true, parameterOverrides: { a: 'b' } },
      { allow: true, extra: 1 },
      { allow: true, group: 'no spaces allowed' },
      { allow: true, group: 7 },
      { allow: true, tags: ['a'] },
      { allow: true, tags: { a: 1 } },
      { allow: true, tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`t${i}`, 'v'])) },
      { allow: true, config: 'x' },
      { allow: true, config: [1] },
      { allow: true, config: { big: 'x'.repeat(17 * 1024) } },
      { allow: false, reason: 5 },
    ]) {
      const r = parse(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
    }
  });

  it('calls too deep, NUL-bearing or non-UTF-8 answers malformed, at any depth', () => {
    const deep = (n: number) => `{"allow":true,"config":{"a":${'['.repeat(n)}${']'.repeat(n)}}}`;
    expect(parse(deep(29)).ok).toBe(true);
    for (const n of [31, 100_000])
      expect(parse(deep(n))).toMatchObject({ ok: false, problem: /deeper than 32/ });
    expect(parse({ allow: false, reason: 'a\u0000b' })).toMatchObject({ ok: false, problem: /NUL/ });
    expect(parse({ allow: true, config: { a: [[[{ 'k\u0000': 1 }]]] } })).toMatchObject({ ok: false });
    const invalid = Buffer.concat([
      Buffer.from('{"allow":true,"reason":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    expect(parseAllocationAnswer(invalid)).toMatchObject({ ok: false, problem: /UTF-8/ });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createRegexMatcher, type RegexMatcher } from './inventory-regex.js';

describe('regex matcher', () => {
  let m: RegexMatcher | undefined;
  afterEach(async () => {
    await m?.close();
  });

  it('returns the indexes of matching values', async () => {
    m = createRegexMatcher();
    expect(await m.matchIndexes('^rel', ['release-1', 'prerelease', 'rel'])).toEqual([0, 2]);
    expect(await m.matchIndexes('^x', [])).toEqual([]);
  });

  it('kills a runaway pattern within its budget and serves the queued and later jobs', async () => {
    m = createRegexMatcher({ budgetMs: 200 });
    const started = Date.now();
    const runaway = m.matchIndexes('^(a+)+$', [`${'a'.repeat(40)}!`]);
    const queued = m.matchIndexes('^a', ['a', 'b']);
    await expect(runaway).rejects.toMatchObject({
      status: 400,
      publicMessage: expect.stringMatching(/too expensive/),
    });
    expect(await queued).toEqual([0]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await m.matchIndexes('^b', ['a', 'b'])).toEqual([1]);
  });

  it('refuses work beyond its queue and fails pending jobs on close', async () => {
    m = createRegexMatcher({ budgetMs: 5000, maxQueued: 1 });
    const first = m.matchIndexes('^(a+)+$', [`${'a'.repeat(40)}!`]);
    const second = m.matchIndexes('^a', ['a']);
    await expect(m.matchIndexes('^a', ['a'])).rejects.toMatchObject({ status: 503 });
    const failed = Promise.all([
      expect(first).rejects.toThrow(/closed/),
      expect(second).rejects.toThrow(/closed/),
    ]);
    await m.close();
    await failed;
    m = undefined;
  });
});

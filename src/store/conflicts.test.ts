import { describe, expect, it } from 'vitest';
import { CONFLICT_ATTEMPTS, isConcurrencyConflict, retryOnConflict } from './conflicts.js';

const pgError = (code: string) => Object.assign(new Error(code), { code });

describe('retryOnConflict', () => {
  it('runs the work again after a unique violation, deadlock or serialization failure', async () => {
    for (const code of ['23505', 'SQLITE_CONSTRAINT_UNIQUE', '40P01', '40001']) {
      let runs = 0;
      const out = await retryOnConflict(async () => {
        runs += 1;
        if (runs === 1) throw pgError(code);
        return 'ok';
      });
      expect([code, out, runs]).toEqual([code, 'ok', 2]);
    }
  });

  it('gives up after a bounded number of runs and hands the last error over', async () => {
    let runs = 0;
    const err = await retryOnConflict(async () => {
      runs += 1;
      throw pgError('23505');
    }).catch((e: unknown) => e);
    expect(runs).toBe(CONFLICT_ATTEMPTS);
    expect(isConcurrencyConflict(err)).toBe(true);
  });

  it('does not retry anything else (a foreign-key violation, an application error)', async () => {
    for (const e of [pgError('23503'), new Error('boom')]) {
      let runs = 0;
      await expect(
        retryOnConflict(async () => {
          runs += 1;
          throw e;
        }),
      ).rejects.toBe(e);
      expect(runs).toBe(1);
    }
  });
});

import { randomInt } from 'node:crypto';

/**
 * A seed for a randomised test (where to crash, what to send), printed so that a failure can be
 * replayed: `GATEHOUSE_TEST_SEED=<seed> npx vitest run <file>`.
 */
export const testSeed = (what: string): number => {
  const given = process.env.GATEHOUSE_TEST_SEED;
  const seed = given !== undefined && /^\d+$/.test(given) ? Number(given) : randomInt(2 ** 31);
  console.log(`${what}: seed ${seed} (replay with GATEHOUSE_TEST_SEED=${seed})`);
  return seed;
};

/** mulberry32: a small, fast PRNG with a 32-bit seed; returns floats in [0, 1). */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** An integer in [min, max] drawn from `random`. */
export const between = (random: () => number, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));

import type { Clock } from '../../src/core/clock.js';

/** A clock tests move by hand: a fake at the edge (docs/principles.md#tests-use-real-components). */
export const manualClock = (startMs = Date.now()): Clock & { advance(ms: number): void } => {
  let now = startMs;
  return {
    nowMs: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

import type { Clock } from '../../src/core/clock.js';

/**
 * A clock that runs at normal speed until told to run faster. Used to make every device
 * request "due" for its check-in write, as it is for a real fleet whose devices poll every few
 * minutes or hours, without the bench having to wait those minutes. Time never goes backwards.
 */
export interface WarpClock extends Clock {
  setSpeed(speed: number): void;
}

export const createWarpClock = (): WarpClock => {
  let anchorReal = Date.now();
  let anchorVirtual = anchorReal;
  let speed = 1;
  const nowMs = () => Math.floor(anchorVirtual + (Date.now() - anchorReal) * speed);
  return {
    nowMs,
    setSpeed(s) {
      anchorVirtual = nowMs();
      anchorReal = Date.now();
      speed = s;
    },
  };
};

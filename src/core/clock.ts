/** Time source injected into services so tests can move time without sleeping. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** RFC 3339 timestamp as Mender emits it in JSON bodies (Go parses millisecond precision). */
export const toRfc3339 = (ms: number): string => new Date(ms).toISOString();

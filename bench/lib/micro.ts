/** Sequential in-process timing: one operation at a time, so the numbers are latencies, not throughput. */
export interface MicroResult {
  opsPerSecond: number;
  microsPerOp: number;
  iterations: number;
}

const result = (iterations: number, elapsedNs: bigint): MicroResult => {
  const seconds = Number(elapsedNs) / 1e9;
  return { opsPerSecond: iterations / seconds, microsPerOp: (seconds * 1e6) / iterations, iterations };
};

/** Runs a synchronous `fn` for about `ms` milliseconds (after a short warm-up). */
export const timeSync = (fn: (i: number) => unknown, ms: number): MicroResult => {
  for (let i = 0; i < 200; i++) fn(i);
  const budget = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let n = 0;
  let elapsed = 0n;
  // Check the clock every 16 calls: cheap, and fine-grained enough for ops of a few microseconds.
  while (elapsed < budget) {
    for (let k = 0; k < 16; k++) fn(n++);
    elapsed = process.hrtime.bigint() - start;
  }
  return result(n, elapsed);
};

/** Runs an async `fn` one call at a time for about `ms` milliseconds (after a short warm-up). */
export const timeAsync = async (fn: (i: number) => Promise<unknown>, ms: number): Promise<MicroResult> => {
  for (let i = 0; i < 50; i++) await fn(i);
  const budget = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let n = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    await fn(n++);
    elapsed = process.hrtime.bigint() - start;
  }
  return result(n, elapsed);
};

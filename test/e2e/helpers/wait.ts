/**
 * Polls `probe` until it returns something other than undefined/null/false, and returns that.
 * Used instead of fixed sleeps: the real client works on 1 s poll intervals, and how long a step
 * takes depends on the machine. On timeout the error names what was awaited and, when given,
 * what `diagnostics` reports (recorded requests, the daemon's log), so a failure explains itself.
 */
export const waitFor = async <T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number; diagnostics?: () => string } = {},
): Promise<T> => {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const parts = [`timed out after ${timeoutMs} ms waiting for ${what}`];
  if (lastError) parts.push(`last probe error: ${(lastError as Error).message ?? String(lastError)}`);
  if (opts.diagnostics) parts.push(opts.diagnostics());
  throw new Error(parts.join('\n'));
};

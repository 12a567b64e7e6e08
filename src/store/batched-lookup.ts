/**
 * Coalesces the key lookups of concurrent requests into one query per event-loop turn
 * (`where id = any($1)` on PostgreSQL): a device request's token read costs a round trip, a
 * socket write and a statement on the server, and 16 requests in flight pay them 16 times.
 *
 * Freshness (the zero revocation bound, docs/adr/0004-token-revocation.md): a lookup is only
 * ever answered by a query sent after it was asked for. Keys asked for during one turn wait in
 * the pending batch, which is sent when that turn ends (`setImmediate`: after the I/O callbacks
 * of this turn, before the next turn's); a key asked for while an earlier batch is already on
 * its way joins the next batch, never the one in flight. So whatever committed before a request
 * asked is seen by its answer, exactly as with one query per request.
 *
 * - At most `maxInFlight` batches on their way at once (default 2): keys asked for meanwhile wait
 *   in the pending batch, which is sent as soon as one comes back. Under load each statement
 *   then answers the requests of part of a round trip, not of one turn; when idle, a key is sent
 *   at the end of its turn as before. Either way the statement is sent after the key was asked
 *   for. Two rather than one: a key that arrives just after a batch left need not wait for that
 *   batch's whole round trip (a poll, two lookups in a row, gains about 10% on PostgreSQL;
 *   bench/README.md, "Sixth step").
 * - At most `maxBatchSize` distinct keys per query; a larger batch is sent as several queries at
 *   once (each its own pooled connection).
 * - A key asked for several times in one batch is queried once; every caller gets the row.
 * - A failed query rejects every caller of its keys (and only those).
 */
export interface BatchedLookupOptions<Row> {
  /** The rows of these distinct keys, in any order; keys without a row are simply absent. */
  fetch(keys: readonly string[]): Promise<readonly Row[]>;
  /** The key a returned row answers. */
  keyOf(row: Row): string;
  /** Distinct keys per query (default 500). */
  maxBatchSize?: number;
  /** Batches sent and not yet answered, at most (default 1). */
  maxInFlight?: number;
  /** When a pending batch is sent; default `setImmediate` (the end of the current turn). */
  schedule?: (send: () => void) => void;
}

export const DEFAULT_MAX_BATCH_SIZE = 500;
export const DEFAULT_MAX_IN_FLIGHT = 2;

interface Waiter<Row> {
  resolve(row: Row | undefined): void;
  reject(e: unknown): void;
}

export const createBatchedLookup = <Row>(
  opts: BatchedLookupOptions<Row>,
): ((key: string) => Promise<Row | undefined>) => {
  const maxBatchSize = opts.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new Error(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
  }
  const maxInFlight = opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new Error(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  }
  const schedule = opts.schedule ?? ((send: () => void) => void setImmediate(send));
  /** Keys asked for since the last batch was sent, with their callers. */
  let pending: Map<string, Waiter<Row>[]> | null = null;
  /** Batches sent and not answered yet. */
  let inFlight = 0;

  const run = (keys: string[], waiters: Map<string, Waiter<Row>[]>) => {
    let rows: Promise<readonly Row[]>;
    try {
      rows = opts.fetch(keys);
    } catch (e) {
      rows = Promise.reject(e);
    }
    inFlight += 1;
    const settled = () => {
      inFlight -= 1;
      // Keys that waited for this answer go now; their statement is sent after they asked.
      if (pending) send();
    };
    rows.then(
      (found) => {
        settled();
        const byKey = new Map<string, Row>();
        for (const row of found) byKey.set(opts.keyOf(row), row);
        for (const key of keys) for (const w of waiters.get(key) ?? []) w.resolve(byKey.get(key));
      },
      (e: unknown) => {
        settled();
        for (const key of keys) for (const w of waiters.get(key) ?? []) w.reject(e);
      },
    );
  };

  const send = () => {
    // Still waiting for earlier batches: this one goes when one of them comes back.
    if (inFlight >= maxInFlight) return;
    const batch = pending;
    pending = null;
    if (!batch) return;
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += maxBatchSize) run(keys.slice(i, i + maxBatchSize), batch);
  };

  return (key) =>
    new Promise<Row | undefined>((resolve, reject) => {
      const batch = pending ?? new Map<string, Waiter<Row>[]>();
      const waiters = batch.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else batch.set(key, [{ resolve, reject }]);
      if (!pending) {
        pending = batch;
        schedule(send);
      }
    });
};

/**
 * A lookup keyed by several values (tenant and device ids, hex digests) takes them joined by a
 * separator none of them contains; `keyColumns` turns the keys of a batch back into one array
 * per part, ready for `unnest($1::text[], $2::text[], ...)`.
 */
const KEY_SEP = '\n';

export const compositeKey = (...parts: readonly string[]): string => parts.join(KEY_SEP);

export const keyColumns = (keys: readonly string[], width: number): string[][] => {
  const columns = Array.from({ length: width }, (): string[] => []);
  for (const key of keys) {
    const parts = key.split(KEY_SEP);
    for (let i = 0; i < width; i++) columns[i]?.push(parts[i] ?? '');
  }
  return columns;
};

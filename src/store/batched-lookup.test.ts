import { describe, expect, it } from 'vitest';
import { createBatchedLookup } from './batched-lookup.js';

interface Row {
  id: string;
  v: number;
}

/** A lookup whose batches are sent only when the test says so, recording every query. */
const harness = (opts: { maxBatchSize?: number; fail?: (keys: readonly string[]) => unknown } = {}) => {
  const scheduled: (() => void)[] = [];
  const queries: string[][] = [];
  const table = new Map<string, Row>(['a', 'b', 'c', 'd', 'e'].map((id, i) => [id, { id, v: i }]));
  const lookup = createBatchedLookup<Row>({
    fetch: async (keys) => {
      queries.push([...keys]);
      const err = opts.fail?.(keys);
      if (err) throw err;
      // Rows come back in an order of the database's choosing: reversed here.
      return keys.flatMap((k) => (table.has(k) ? [table.get(k) as Row] : [])).reverse();
    },
    keyOf: (r) => r.id,
    ...(opts.maxBatchSize === undefined ? {} : { maxBatchSize: opts.maxBatchSize }),
    schedule: (send) => scheduled.push(send),
  });
  const sendAll = () => {
    for (const send of scheduled.splice(0)) send();
  };
  return { lookup, queries, table, scheduled, sendAll };
};

describe('createBatchedLookup', () => {
  it('sends the keys asked for in one turn as one query and gives each caller its own row', async () => {
    const h = harness();
    const answers = Promise.all(['c', 'a', 'x', 'b'].map((k) => h.lookup(k)));
    expect(h.queries).toEqual([]); // nothing is sent before the turn ends
    expect(h.scheduled).toHaveLength(1);
    h.sendAll();
    expect(await answers).toEqual([{ id: 'c', v: 2 }, { id: 'a', v: 0 }, undefined, { id: 'b', v: 1 }]);
    expect(h.queries).toEqual([['c', 'a', 'x', 'b']]);
  });

  it('queries a key asked for several times once and answers every caller', async () => {
    const h = harness();
    const answers = Promise.all(['a', 'b', 'a', 'a'].map((k) => h.lookup(k)));
    h.sendAll();
    const rows = await answers;
    expect(rows.map((r) => r?.id)).toEqual(['a', 'b', 'a', 'a']);
    expect(h.queries).toEqual([['a', 'b']]);
  });

  it('never answers a key from a query sent before it was asked for', async () => {
    const h = harness();
    const first = h.lookup('a');
    h.sendAll(); // the first batch is on its way
    h.table.set('a', { id: 'a', v: 100 }); // a write commits meanwhile
    h.table.delete('b');
    const second = h.lookup('a');
    const third = h.lookup('b');
    expect(h.scheduled).toHaveLength(1); // a new batch, not the one in flight
    h.sendAll();
    expect(await first).toEqual({ id: 'a', v: 0 });
    expect(await second).toEqual({ id: 'a', v: 100 });
    expect(await third).toBeUndefined();
    expect(h.queries).toEqual([['a'], ['a', 'b']]);
  });

  it('splits a batch larger than maxBatchSize into several queries', async () => {
    const h = harness({ maxBatchSize: 2 });
    const answers = Promise.all(['a', 'b', 'c', 'd', 'e', 'a'].map((k) => h.lookup(k)));
    h.sendAll();
    expect((await answers).map((r) => r?.v)).toEqual([0, 1, 2, 3, 4, 0]);
    expect(h.queries).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('rejects every caller of a failed query, and only those', async () => {
    const boom = new Error('connection reset');
    let failing = true;
    const h = harness({
      maxBatchSize: 2,
      fail: (keys) => (failing && keys.includes('c') ? boom : undefined),
    });
    const calls = ['a', 'b', 'c', 'd', 'c'].map((k) =>
      h.lookup(k).then(
        (r) => r?.v,
        (e: unknown) => e,
      ),
    );
    h.sendAll();
    expect(await Promise.all(calls)).toEqual([0, 1, boom, boom, boom]);
    // The next batch is a query of its own.
    failing = false;
    const later = h.lookup('c');
    h.sendAll();
    expect(await later).toEqual({ id: 'c', v: 2 });
  });

  it('rejects the callers when fetch throws synchronously', async () => {
    const lookup = createBatchedLookup<Row>({
      fetch: () => {
        throw new Error('not connected');
      },
      keyOf: (r) => r.id,
      schedule: (send) => send(),
    });
    await expect(lookup('a')).rejects.toThrow('not connected');
  });

  it('sends at the end of the turn by default (setImmediate), after the turn’s other callers', async () => {
    const queries: string[][] = [];
    const lookup = createBatchedLookup<Row>({
      fetch: async (keys) => {
        queries.push([...keys]);
        return keys.map((id) => ({ id, v: 0 }));
      },
      keyOf: (r) => r.id,
    });
    const p1 = lookup('a');
    await Promise.resolve(); // microtasks of the same turn still join the batch
    const p2 = lookup('b');
    await Promise.all([p1, p2]);
    expect(queries).toEqual([['a', 'b']]);
  });

  it('refuses a batch size that is not a positive integer', () => {
    for (const maxBatchSize of [0, -1, 1.5]) {
      expect(() =>
        createBatchedLookup<Row>({ fetch: async () => [], keyOf: (r) => r.id, maxBatchSize }),
      ).toThrow(/maxBatchSize/);
    }
  });
});

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
  it('while a batch is on its way, gathers the next keys and sends them when it comes back', async () => {
    const answers: ((rows: Row[]) => void)[] = [];
    const queries: string[][] = [];
    const scheduled: (() => void)[] = [];
    const lookup = createBatchedLookup<Row>({
      fetch: (keys) => {
        queries.push([...keys]);
        return new Promise<Row[]>((resolve) => answers.push(resolve));
      },
      keyOf: (r) => r.id,
      schedule: (send) => scheduled.push(send),
      maxInFlight: 1,
    });
    const first = lookup('a');
    for (const send of scheduled.splice(0)) send();
    expect(queries).toEqual([['a']]);
    // Asked while the first is out: the end of their turn sends nothing yet.
    const later = [lookup('b'), lookup('c')];
    for (const send of scheduled.splice(0)) send();
    const more = lookup('d'); // joins the waiting batch: no new schedule
    expect(scheduled).toHaveLength(0);
    expect(queries).toEqual([['a']]);
    answers[0]?.([{ id: 'a', v: 1 }]);
    expect(await first).toEqual({ id: 'a', v: 1 });
    // Sent when the first came back (after every one of them was asked), as one query.
    expect(queries).toEqual([['a'], ['b', 'c', 'd']]);
    answers[1]?.([
      { id: 'd', v: 4 },
      { id: 'b', v: 2 },
    ]);
    expect(await Promise.all([...later, more])).toEqual([{ id: 'b', v: 2 }, undefined, { id: 'd', v: 4 }]);
  });

  it('sends the waiting keys after a failed batch too, and allows maxInFlight batches at once', async () => {
    const queries: string[][] = [];
    const answers: { resolve(rows: Row[]): void; reject(e: Error): void }[] = [];
    const lookup = createBatchedLookup<Row>({
      fetch: (keys) => {
        queries.push([...keys]);
        return new Promise<Row[]>((resolve, reject) => answers.push({ resolve, reject }));
      },
      keyOf: (r) => r.id,
      schedule: (send) => send(),
      maxInFlight: 2,
    });
    const a = lookup('a');
    const b = lookup('b');
    const c = lookup('c'); // a third batch waits for one of the two
    expect(queries).toEqual([['a'], ['b']]);
    answers[0]?.reject(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    expect(queries).toEqual([['a'], ['b'], ['c']]);
    answers[1]?.resolve([{ id: 'b', v: 1 }]);
    answers[2]?.resolve([]);
    expect(await b).toEqual({ id: 'b', v: 1 });
    expect(await c).toBeUndefined();
  });

  it('by default lets two batches be on their way; keys asked meanwhile wait for one to come back', async () => {
    const queries: string[][] = [];
    const answers: ((rows: Row[]) => void)[] = [];
    const lookup = createBatchedLookup<Row>({
      fetch: (keys) => {
        queries.push([...keys]);
        return new Promise<Row[]>((resolve) => answers.push(resolve));
      },
      keyOf: (r) => r.id,
      schedule: (send) => send(),
    });
    const a = lookup('a');
    const b = lookup('b');
    const later = [lookup('c'), lookup('d')];
    expect(queries).toEqual([['a'], ['b']]);
    answers[1]?.([{ id: 'b', v: 1 }]);
    expect(await b).toEqual({ id: 'b', v: 1 });
    // Sent when one of the two came back, after both keys were asked for.
    expect(queries).toEqual([['a'], ['b'], ['c', 'd']]);
    answers[0]?.([]);
    answers[2]?.([{ id: 'd', v: 3 }]);
    expect(await a).toBeUndefined();
    expect(await Promise.all(later)).toEqual([undefined, { id: 'd', v: 3 }]);
  });

  it('refuses an in-flight bound that is not a positive integer', () => {
    for (const maxInFlight of [0, -1, 1.5]) {
      expect(() =>
        createBatchedLookup<Row>({ fetch: async () => [], keyOf: (r) => r.id, maxInFlight }),
      ).toThrow(/maxInFlight/);
    }
  });
});

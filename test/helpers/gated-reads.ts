import type { Store } from '../../src/store/store.js';

/**
 * A store whose prepared reads (`readRows`) are held after they ran, their result already fixed,
 * until released: a read that is "still on its way back" while the test changes the data.
 * Reads are held until `stopHolding()`; `release()` lets every held read answer.
 */
export const gatedReads = (store: Store) => {
  const held: (() => void)[] = [];
  let holding = true;
  return {
    store: {
      ...store,
      readRows: async (...read: Parameters<Store['readRows']>) => {
        const rows = await store.readRows(...read);
        if (holding) await new Promise<void>((release) => held.push(release));
        return rows;
      },
    } satisfies Store,
    /** The held reads, in the order they ran. */
    held,
    /** Waits (a bounded number of event-loop turns) until a read is held. */
    untilHeld: async () => {
      for (let i = 0; i < 1000 && held.length === 0; i++) await new Promise((r) => setImmediate(r));
    },
    stopHolding: () => {
      holding = false;
    },
    release: () => {
      for (const r of held) r();
    },
  };
};

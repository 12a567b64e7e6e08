import type { Compilable, CompiledQuery } from 'kysely';
import type { ReadConnection, Store } from './store.js';

/**
 * The one way to run a hot read (docs/adr/0006-layout.md, "Storage"): a read-only query compiled
 * once and run with new arguments through Store.readRows, for the few queries that every device
 * request runs (building, compiling and executing a query through Kysely costs several times the
 * SQLite lookup itself). `connection` picks SQLite's connection (ReadConnection in store.ts).
 * `build` is called once with sentinel arguments; every compiled parameter that is a sentinel is
 * replaced by the matching argument at run time, the rest stay as compiled. Only for queries
 * whose SQL text does not depend on the argument values (no `in (...)` of variable length); an
 * argument that is a list is bound as one parameter (`= any(?)` on PostgreSQL), which is how
 * batched lookups (batched-lookup.ts) send theirs.
 */
export const prepareQuery = <Args extends (string | readonly string[])[], Row>(
  store: Pick<Store, 'readRows'>,
  build: (...args: Args) => Compilable<Row>,
  arity: Args['length'],
  connection: ReadConnection = 'reader',
): ((...args: Args) => Promise<Row[]>) => {
  const sentinels = Array.from({ length: arity }, (_, i) => `\u0000prepared-arg-${i}\u0000`) as Args;
  const compiled = build(...sentinels).compile() as CompiledQuery<Row>;
  const slots = compiled.parameters.map((p) => sentinels.indexOf(p as string));
  for (let i = 0; i < arity; i++) {
    if (!slots.includes(i)) throw new Error(`prepared query does not use argument ${i}: ${compiled.sql}`);
  }
  return async (...args) => {
    const parameters = compiled.parameters.map((p, i) => {
      const slot = slots[i] as number;
      return slot >= 0 ? args[slot] : p;
    });
    return (await store.readRows(compiled.sql, parameters, connection)) as Row[];
  };
};

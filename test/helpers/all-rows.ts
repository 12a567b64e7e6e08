import type { Kysely } from 'kysely';
import type { Gatehouse } from '../../src/wiring.js';

/**
 * Rows that record a refused request by design, and so may grow under bad input. Each entry
 * says why; everything else must not change.
 */
export const FAILURE_RECORDS = {
  /**
   * Failed bootstrap attempts and logins per subject, address and pair: the lockouts count them
   * (docs/limits.md).
   */
  tables: ['failure_counters'],
  /** The audit record of each failed bootstrap attempt (same reason). */
  eventTypes: ['bootstrap.failed'],
};

/**
 * Row counts of every table of the schema (read from the database, so a new table is counted
 * without anyone remembering to add it), less FAILURE_RECORDS.
 */
export const allRowCounts = async (gh: Gatehouse): Promise<Record<string, number>> => {
  const tables = (await gh.store.db.introspection.getTables())
    .map((t) => t.name)
    .filter((n) => !n.startsWith('kysely_') && !FAILURE_RECORDS.tables.includes(n))
    .sort();
  // Table names come from the schema itself, not from a test's input.
  const db = gh.store.db as unknown as Kysely<Record<string, { type: string }>>;
  const out: Record<string, number> = {};
  for (const t of tables) {
    let q = db.selectFrom(t).select((eb) => eb.fn.countAll<number | string>().as('n'));
    if (t === 'events') q = q.where('type', 'not in', FAILURE_RECORDS.eventTypes);
    out[t] = Number((await q.executeTakeFirstOrThrow()).n);
  }
  return out;
};

import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Gatehouse } from '../../src/wiring.js';

/** Every table's row count and a checksum of its rows (order-independent), for "changed nothing". */
export const databaseSnapshot = async (gh: Gatehouse): Promise<Record<string, string>> => {
  const tables = (await gh.store.db.introspection.getTables())
    .map((t) => t.name)
    .filter((n) => !n.startsWith('kysely_'))
    .sort();
  const db = gh.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  const out: Record<string, string> = {};
  for (const t of tables) {
    const rows = (await db.selectFrom(t).selectAll().execute()).map((r) => JSON.stringify(r)).sort();
    out[t] = `${rows.length}:${createHash('sha256').update(rows.join('\n')).digest('hex')}`;
  }
  return out;
};

import { type CompiledQuery, sql } from 'kysely';
import type { Db, Dialect, Executor } from '../../src/store/store.js';

/**
 * Query plans of compiled statements (test/helpers/query-capture.ts), reduced to what the
 * storage tests assert: which indexes a statement reads, whether it reads a big table without a
 * key (a full scan, of the table or of an index), and whether it sorts what it should read in
 * order.
 */
export interface PlanFacts {
  /** Index names the plan reads. */
  indexes: string[];
  /** Index names the plan reads without the table (covering on SQLite, index-only on PostgreSQL). */
  covering: string[];
  /** Readings of a table in `tables` with no key: "devices (full scan)" and the like. */
  fullScans: string[];
  /** SQLite: a temporary b-tree sorts rows inside the statement's id subquery (the page's ids). */
  sortsPageIds: boolean;
  /** The plan as the database printed it, for failure messages. */
  text: string;
}

// The scans of derived tables and table functions of our queries: `ids` (a count over id sets), `g`
// (the group names), `e` and json_each (elements of a JSON value or parameter).
const SQLITE_HARMLESS_SCANS = /^SCAN (json_each|e|g|ids)\b|VIRTUAL TABLE|^SCAN \(subquery|CONSTANT ROW/;

interface SqliteRow {
  id: number;
  parent: number;
  detail: string;
}

const sqliteFacts = (rows: SqliteRow[]): PlanFacts => {
  const indexes = new Set<string>();
  const covering = new Set<string>();
  const fullScans: string[] = [];
  for (const r of rows) {
    const m = /USING (COVERING )?INDEX (\S+)/.exec(r.detail);
    if (m?.[2]) indexes.add(m[2]);
    if (m?.[1] && m[2]) covering.add(m[2]);
    if (/PRIMARY KEY/.test(r.detail)) indexes.add('<primary key>');
    // SEARCH reads a key range; SCAN reads everything (of the table, or of the index it names).
    if (/^SCAN /.test(r.detail) && !SQLITE_HARMLESS_SCANS.test(r.detail)) fullScans.push(r.detail);
  }
  // The page's ids are chosen by the first LIST SUBQUERY (findDevices, pageDevices).
  const list = rows.find((r) => /^LIST SUBQUERY/.test(r.detail));
  const below = new Set<number>(list ? [list.id] : []);
  for (const r of rows) if (below.has(r.parent)) below.add(r.id);
  const sortsPageIds = rows.some(
    (r) => below.has(r.id) && r.id !== list?.id && /USE TEMP B-TREE FOR ORDER BY/.test(r.detail),
  );
  return {
    indexes: [...indexes].sort(),
    covering: [...covering].sort(),
    fullScans,
    sortsPageIds,
    text: rows.map((r) => `${r.id}<${r.parent} ${r.detail}`).join('\n'),
  };
};

interface PgNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PgNode[];
}

const pgFacts = (root: PgNode, tables: ReadonlySet<string>, text: string): PlanFacts => {
  const indexes = new Set<string>();
  const covering = new Set<string>();
  const fullScans: string[] = [];
  const walk = (n: PgNode) => {
    if (n['Index Name']) indexes.add(n['Index Name']);
    if (n['Index Name'] && n['Node Type'] === 'Index Only Scan') covering.add(n['Index Name']);
    const table = n['Relation Name'];
    if (table && tables.has(table)) {
      if (n['Node Type'] === 'Seq Scan') fullScans.push(`${table}: Seq Scan`);
      // An index read without a condition walks all of it.
      if (/Index/.test(n['Node Type']) && n['Node Type'] !== 'Bitmap Heap Scan' && !n['Index Cond'])
        fullScans.push(`${table}: ${n['Node Type']} on ${n['Index Name']} without a condition`);
    }
    for (const p of n.Plans ?? []) walk(p);
  };
  walk(root);
  return {
    indexes: [...indexes].sort(),
    covering: [...covering].sort(),
    fullScans,
    sortsPageIds: false,
    text,
  };
};

/**
 * The plan of one statement. PostgreSQL plans with sequential scans disabled (their cost made
 * prohibitive): on a test-sized table a scan can be the cheapest plan, and the question asked is
 * whether an index can answer the statement; without one, the plan still shows the scan.
 */
export const explain = async (
  db: Executor,
  dialect: Dialect,
  query: CompiledQuery,
  tables: ReadonlySet<string>,
): Promise<PlanFacts> => {
  if (dialect === 'sqlite') {
    const r = await db.executeQuery<SqliteRow>({ ...query, sql: `explain query plan ${query.sql}` });
    return sqliteFacts(r.rows);
  }
  const r = await db.executeQuery<{ 'QUERY PLAN': { Plan: PgNode }[] }>({
    ...query,
    sql: `explain (format json) ${query.sql}`,
  });
  const plan = r.rows[0]?.['QUERY PLAN'][0]?.Plan as PgNode;
  return pgFacts(plan, tables, JSON.stringify(plan, null, 1));
};

/** Runs `fn` in a transaction that is rolled back (PostgreSQL: with sequential scans disabled). */
export const inRolledBackTransaction = async (
  db: Db,
  dialect: Dialect,
  fn: (tx: Executor) => Promise<void>,
): Promise<void> => {
  const rollback = new Error('rollback');
  try {
    await db.transaction().execute(async (tx) => {
      if (dialect === 'postgres') await sql`set local enable_seqscan = off`.execute(tx);
      await fn(tx);
      throw rollback;
    });
  } catch (e) {
    if (e !== rollback) throw e;
  }
};

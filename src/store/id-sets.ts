import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { type Executor, num } from './store.js';

/**
 * How many distinct ids are in every one of `sets` (SELECTs of `device_id`): read from the sets'
 * own indexes, no device row read. Used where the sets hold one tenant's devices only, so their
 * intersection is the count.
 */
export const countIdIntersection = async (
  db: Executor,
  first: RawBuilder<unknown>,
  rest: readonly RawBuilder<unknown>[],
): Promise<number> => {
  const r = await sql<{
    n: number | string;
  }>`select count(distinct ids.device_id) as n from (${first}) ids${
    rest.length > 0
      ? sql` where ${sql.join(
          rest.map((set) => sql`ids.device_id in (${set})`),
          sql` and `,
        )}`
      : sql``
  }`.execute(db);
  return num(r.rows[0]?.n ?? 0);
};

/**
 * `<column> in (<set>)`, the set a SELECT of ids. Along an index in list order (`along`), each
 * row read is tested against the set, read once: PostgreSQL's planner would otherwise turn the IN
 * into a join that starts from the set whenever it guesses the set small (it guesses a UNION of
 * index ranges at 200 rows whatever their size), and then look up and sort every member to
 * return one page. `IS TRUE` keeps the test a filter of the walk (a hashed subplan); the caller
 * chose the walk from the exact count (core/search-policy.ts pageReadOrder).
 */
export const inIdSet = (
  column: RawBuilder<unknown>,
  set: RawBuilder<unknown>,
  along: boolean,
): RawBuilder<SqlBool> =>
  along ? sql<SqlBool>`(${column} in (${set})) is true` : sql<SqlBool>`${column} in (${set})`;

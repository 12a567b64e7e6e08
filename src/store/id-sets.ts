import { type RawBuilder, sql } from 'kysely';
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

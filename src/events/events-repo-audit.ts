import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import { type DomainEvent, EVENT_COLUMNS, eventFromRow } from './events-repo.js';

export interface AuditQuery {
  /** Exact types, or `<prefix>.*` for every type of a domain. */
  types?: string[];
  deviceId?: string;
  /** Inclusive bounds on created_at, in ms. */
  sinceMs?: number;
  untilMs?: number;
  offset: number;
  limit: number;
}

/** Events of any of these types (exact, or `<prefix>.*`). */
export const typesCondition =
  (types: readonly string[]) =>
  (eb: ExpressionBuilder<Database, 'events'>): Expression<SqlBool> =>
    eb.or(
      types.map((t) =>
        t.endsWith('.*')
          ? // A prefix comparison without LIKE (no wildcard escaping; `_` is common in type names).
            eb(eb.fn('substr', ['type', sql.lit(1), sql.lit(t.length - 1)]), '=', t.slice(0, -1))
          : eb('type', '=', t),
      ),
    );

/** The audit log: a tenant's events, newest first, filtered. */
export const queryEvents = async (
  ex: Executor,
  tenantId: string,
  q: AuditQuery,
): Promise<{ events: DomainEvent[]; total: number }> => {
  let base = ex.selectFrom('events').where('tenant_id', '=', tenantId);
  if (q.deviceId !== undefined) base = base.where('device_id', '=', q.deviceId);
  if (q.sinceMs !== undefined) base = base.where('created_at', '>=', q.sinceMs);
  if (q.untilMs !== undefined) base = base.where('created_at', '<=', q.untilMs);
  const types = q.types;
  if (types !== undefined && types.length > 0) base = base.where(typesCondition(types));
  const [rows, count] = await Promise.all([
    base.select(EVENT_COLUMNS).orderBy('id', 'desc').offset(q.offset).limit(q.limit).execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    events: rows.map(eventFromRow),
    total: num(count.n),
  };
};

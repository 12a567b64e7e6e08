import type { Executor } from '../store/store.js';
import { type DomainEvent, EVENT_COLUMNS, eventFromRow } from './events-repo.js';
import { typesCondition } from './events-repo-audit.js';

// Reads of the live event stream (events-stream-hub.ts): ids first (an index-only range on
// events_tenant_idx), then the rows the process has not delivered yet.

/** Ids of the tenants' events from `fromId` on, in id order, at most `limit`. */
export const eventIdsFrom = async (
  db: Executor,
  tenantIds: readonly string[],
  fromId: string,
  limit: number,
): Promise<{ id: string; tenantId: string }[]> => {
  if (tenantIds.length === 0) return [];
  const rows = await db
    .selectFrom('events')
    .select(['id', 'tenant_id'])
    .where('tenant_id', 'in', tenantIds)
    .where('id', '>=', fromId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
};

/** The events with these ids, in id order. */
export const eventsByIds = async (db: Executor, ids: readonly string[]): Promise<DomainEvent[]> => {
  const out: DomainEvent[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select(EVENT_COLUMNS)
      .where('id', 'in', ids.slice(i, i + 500))
      .execute();
    out.push(...rows.map(eventFromRow));
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
};

/** A tenant's events after `afterId` (of these types), oldest first, at most `limit`. */
export const eventsAfter = async (
  db: Executor,
  tenantId: string,
  afterId: string,
  types: readonly string[] | undefined,
  limit: number,
): Promise<DomainEvent[]> => {
  let q = db
    .selectFrom('events')
    .select(EVENT_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '>', afterId);
  if (types && types.length > 0) q = q.where(typesCondition(types));
  return (await q.orderBy('id').limit(limit).execute()).map(eventFromRow);
};

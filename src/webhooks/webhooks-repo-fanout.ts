import { newOrderedId } from '../core/ids.js';
import { type Db, num } from '../store/store.js';
import { matchesEventType } from './webhooks-filters.js';

const INSERT_CHUNK = 200;

/**
 * Fans one batch of outbox events out to the subscriptions that want them: one
 * `webhook_deliveries` row per (subscription, event), then marks the events done. Events are
 * taken in id order and one batch at a time across all processes (the `webhook_fanout` row is
 * locked first: a row lock on PostgreSQL, the write lock on SQLite), so a later event of a
 * device never gets its delivery row before an earlier one. A subscription only receives
 * events created after it, and only while it is enabled.
 *
 * Only events created at or before `cutoffMs` are taken: an event can reach the table after a
 * later one of the same device (a write-behind buffer, a long transaction, another process's
 * clock), and waiting this long lets it arrive first. Returns how many events were processed
 * (fewer than `batchSize`: nothing more is ready).
 */
export const fanOutBatch = async (
  db: Db,
  args: { nowMs: number; cutoffMs: number; batchSize: number },
): Promise<number> => {
  // A plain read first: an idle outbox costs no write (and no lock) per poll.
  const ready = await db
    .selectFrom('events')
    .select('id')
    .where('fanned_out_at', 'is', null)
    .where('created_at', '<=', args.cutoffMs)
    .limit(1)
    .execute();
  if (ready.length === 0) return 0;
  return db.transaction().execute(async (tx) => {
    await tx.updateTable('webhook_fanout').set({ ran_at: args.nowMs }).where('id', '=', 1).execute();
    const events = await tx
      .selectFrom('events')
      .select(['id', 'tenant_id', 'type', 'device_id', 'created_at'])
      .where('fanned_out_at', 'is', null)
      .where('created_at', '<=', args.cutoffMs)
      .orderBy('id')
      .limit(args.batchSize)
      .execute();
    if (events.length === 0) return 0;

    const tenants = [...new Set(events.map((e) => e.tenant_id))];
    const subs = (
      await tx
        .selectFrom('webhook_subscriptions')
        .select(['id', 'tenant_id', 'event_types', 'created_at'])
        .where('enabled', '=', 1)
        .where('tenant_id', 'in', tenants)
        .execute()
    ).map((s) => ({
      id: s.id,
      tenantId: s.tenant_id,
      patterns: JSON.parse(s.event_types) as string[],
      createdAt: num(s.created_at),
    }));

    const rows = [];
    for (const e of events) {
      const createdAt = num(e.created_at);
      for (const s of subs) {
        if (s.tenantId !== e.tenant_id || s.createdAt > createdAt || !matchesEventType(s.patterns, e.type))
          continue;
        rows.push({
          id: newOrderedId(args.nowMs),
          tenant_id: e.tenant_id,
          subscription_id: s.id,
          event_id: e.id,
          event_type: e.type,
          device_id: e.device_id,
          status: 'pending',
          attempts: 0,
          budget_attempts: 0,
          budget_since: args.nowMs,
          next_attempt_at: args.nowMs,
          created_at: args.nowMs,
          updated_at: args.nowMs,
        });
      }
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await tx
        .insertInto('webhook_deliveries')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['subscription_id', 'event_id']).doNothing())
        .execute();
    }
    const ids = events.map((e) => e.id);
    for (let i = 0; i < ids.length; i += INSERT_CHUNK) {
      await tx
        .updateTable('events')
        .set({ fanned_out_at: args.nowMs })
        .where('id', 'in', ids.slice(i, i + INSERT_CHUNK))
        .execute();
    }
    return events.length;
  });
};

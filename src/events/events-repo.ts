import { newOrderedId, orderedIdFloor } from '../core/ids.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { EventPayloads, EventType } from './event-types.js';

/**
 * The outbox: domain events written in the same transaction as the change they describe
 * (docs/principles.md#events-are-written-with-their-change). Delivery (webhooks, audit queries)
 * reads from here. Event types and their payloads are declared in event-types.ts.
 */

export interface DomainEvent {
  id: string;
  tenantId: string;
  type: EventType;
  deviceId: string | null;
  payload: Record<string, unknown>;
  createdAt: number;
}

/** The columns every read of events selects, and the one mapper of their row. */
export const EVENT_COLUMNS = ['id', 'tenant_id', 'type', 'device_id', 'payload', 'created_at'] as const;

export const eventFromRow = (r: TableRow<'events', (typeof EVENT_COLUMNS)[number]>): DomainEvent => ({
  id: r.id,
  tenantId: r.tenant_id,
  type: r.type as EventType,
  deviceId: r.device_id,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  createdAt: num(r.created_at),
});

/** An event to record: its payload is the one event-types.ts declares for its type. */
export interface EventRecord<T extends EventType = EventType> {
  tenantId: string;
  type: T;
  deviceId?: string | null;
  payload: EventPayloads[T];
  nowMs: number;
}

/** An event of any type, its payload matching its type (for lists of mixed types). */
export type AnyEventRecord = { [K in EventType]: EventRecord<K> }[EventType];

/** An event as its `events` row; `id` is the one taken when it happened, if any. */
const eventRow = (e: AnyEventRecord & { id?: string }) => ({
  id: e.id ?? newOrderedId(e.nowMs),
  tenant_id: e.tenantId,
  type: e.type,
  device_id: e.deviceId ?? null,
  payload: JSON.stringify(e.payload ?? {}),
  created_at: e.nowMs,
});

export const recordEvent = async <T extends EventType>(db: Executor, e: EventRecord<T>): Promise<void> => {
  await db
    .insertInto('events')
    .values(eventRow(e as AnyEventRecord))
    .execute();
};

/**
 * Several events in one statement per 500 (for write-behind buffers of high-rate events). A
 * buffer passes the `id` it took when the event happened (newOrderedId), so the event keeps its
 * place in the outbox order among events written meanwhile.
 */
export const recordEvents = async (
  db: Executor,
  events: readonly (AnyEventRecord & { id?: string })[],
): Promise<void> => {
  for (let i = 0; i < events.length; i += 500) {
    await db
      .insertInto('events')
      .values(events.slice(i, i + 500).map(eventRow))
      .execute();
  }
};

export const listEvents = async (
  db: Executor,
  tenantId: string,
  opts: { deviceId?: string; limit: number },
): Promise<DomainEvent[]> => {
  let q = db.selectFrom('events').select(EVENT_COLUMNS).where('tenant_id', '=', tenantId);
  if (opts.deviceId) q = q.where('device_id', '=', opts.deviceId);
  return (await q.orderBy('id').limit(opts.limit).execute()).map(eventFromRow);
};

/**
 * Which of `deviceIds` had an event of `type` at or after `sinceMs`: one query for a page of
 * devices (events_tenant_device_idx; the time bound is a range on the time-ordered ids).
 */
export const devicesWithEventSince = async (
  db: Executor,
  tenantId: string,
  type: EventType,
  deviceIds: readonly string[],
  sinceMs: number,
): Promise<Set<string>> => {
  const out = new Set<string>();
  for (let i = 0; i < deviceIds.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select('device_id')
      .distinct()
      .where('tenant_id', '=', tenantId)
      .where('device_id', 'in', deviceIds.slice(i, i + 500))
      .where('id', '>=', orderedIdFloor(sinceMs))
      .where('type', '=', type)
      .execute();
    for (const r of rows) if (r.device_id !== null) out.add(r.device_id);
  }
  return out;
};

import { type AnyEventRecord, type EventType, recordEvent, recordEvents } from '../../src/events/index.js';
import type { Executor } from '../../src/store/store.js';

/**
 * An outbox row with a made-up payload, for tests of delivery (order, leases, retries, filters,
 * the live stream) that care which events exist, not what they say. The product records its
 * events through the typed recordEvent (src/events/event-types.ts); these bypass that check.
 */
export interface SyntheticEvent {
  id?: string;
  tenantId: string;
  type: EventType;
  deviceId?: string | null;
  payload?: Record<string, unknown>;
  nowMs: number;
}

// `id`, when given, goes along (recordEvents keeps it).
const typed = (e: SyntheticEvent) => ({ ...e, payload: e.payload ?? {} }) as unknown as AnyEventRecord;

export const recordSyntheticEvent = (db: Executor, e: SyntheticEvent) => recordEvent(db, typed(e));

export const recordSyntheticEvents = (db: Executor, events: readonly SyntheticEvent[]) =>
  recordEvents(db, events.map(typed));

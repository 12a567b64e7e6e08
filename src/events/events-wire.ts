import { Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import type { DomainEvent } from './events-repo.js';

/** An event on the wire: the audit log, the live stream and webhook bodies (docs/webhooks.md) alike. */
export const EventWire = Type.Object({
  id: Type.String({ description: 'time-ordered UUIDv7' }),
  type: Type.String(),
  tenant_id: Type.String(),
  device_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ description: 'RFC 3339' }),
  data: Type.Object({}, { additionalProperties: true }),
});

export const eventToWire = (e: DomainEvent) => ({
  id: e.id,
  type: e.type,
  tenant_id: e.tenantId,
  device_id: e.deviceId,
  created_at: toRfc3339(e.createdAt),
  data: e.payload,
});

/** Type filters of the audit log and the stream: an exact type, or `<prefix>.*`. */
export const TypeFilter = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'event type or "<prefix>.*"',
});
export const TypeFilters = Type.Union([TypeFilter, Type.Array(TypeFilter, { maxItems: 50 })]);

export const typeFiltersOf = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/** Whether an event type passes the filters (none: every type). */
export const matchesTypes = (type: string, filters: readonly string[] | undefined): boolean =>
  filters === undefined ||
  filters.length === 0 ||
  filters.some((f) => (f.endsWith('.*') ? type.startsWith(f.slice(0, -1)) : type === f));

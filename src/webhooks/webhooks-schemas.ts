import { type TProperties, Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { PagingQuery } from '../http/schemas-common.js';
import { MAX_EVENT_TYPES } from './webhooks-filters.js';
import {
  DEFAULT_ALLOCATION_TIMEOUT_MS,
  MAX_ALLOCATION_TIMEOUT_MS,
  MIN_ALLOCATION_TIMEOUT_MS,
} from './webhooks-service-allocation.js';
import { MAX_URL_LENGTH } from './webhooks-target.js';
import { MAX_DESCRIPTION_LENGTH } from './webhooks-target-service.js';
import type { AllocationWebhook, Delivery, PingResult, Subscription } from './webhooks-types.js';

// Spelled out (not mapped from deliveryStatuses) so TypeBox infers the literal union.
const Status = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);
const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(t: T) =>
  Type.Union([t, Type.Null()]);
const Timestamp = Type.String({ description: 'RFC 3339' });
const Url = Type.String({ minLength: 1, maxLength: MAX_URL_LENGTH, description: 'http(s) URL' });
const Description = Type.String({ maxLength: MAX_DESCRIPTION_LENGTH });
const Secret = Type.String({
  description: 'HMAC key of the X-Gatehouse-Signature header; shown only in this answer',
});
/** A webhook as read, and as created or rotated (the only answers with its secret). */
const targetWires = <F extends TProperties>(fields: F) => ({
  wire: Type.Object(fields),
  withSecret: Type.Object({ ...fields, secret: Secret }),
});

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const EventTypes = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1,
  maxItems: MAX_EVENT_TYPES,
  description: 'event types, "<prefix>.*" or "*"',
});

export const WebhookCreateBody = Type.Object({
  url: Url,
  event_types: EventTypes,
  description: Type.Optional(Description),
  enabled: Type.Optional(Type.Boolean({ description: 'default true' })),
});

export const WebhookPatchBody = Type.Object(
  {
    url: Type.Optional(Url),
    event_types: Type.Optional(EventTypes),
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
  },
  { minProperties: 1 },
);

const webhookFields = {
  id: Type.String(),
  url: Type.String(),
  event_types: Type.Array(Type.String()),
  description: Type.String(),
  enabled: Type.Boolean(),
  created_at: Timestamp,
  updated_at: Timestamp,
};
export const { wire: WebhookWire, withSecret: WebhookWithSecret } = targetWires(webhookFields);

export const webhookToWire = (s: Subscription) => ({
  id: s.id,
  url: s.url,
  event_types: s.eventTypes,
  description: s.description,
  enabled: s.enabled,
  created_at: toRfc3339(s.createdAt),
  updated_at: toRfc3339(s.updatedAt),
});

export const DeliveriesQuery = Type.Object({
  status: Type.Optional(Status),
  event_id: Type.Optional(Type.String({ maxLength: 64 })),
  ...PagingQuery,
});

export const DeliveryWire = Type.Object({
  id: Type.String({ description: 'the X-Gatehouse-Delivery header of every attempt' }),
  event_id: Type.String(),
  event_type: Type.String(),
  device_id: Nullable(Type.String()),
  status: Status,
  attempts: Type.Integer(),
  next_attempt_at: Nullable(Timestamp),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  created_at: Timestamp,
  delivered_at: Nullable(Timestamp),
  log: Type.Array(
    Type.Object({
      attempt: Type.Integer(),
      attempted_at: Timestamp,
      duration_ms: Type.Integer(),
      status_code: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
    }),
  ),
});

export const deliveryToWire = (d: Delivery) => ({
  id: d.id,
  event_id: d.eventId,
  event_type: d.eventType,
  device_id: d.deviceId,
  status: d.status,
  attempts: d.attempts,
  next_attempt_at: d.status === 'pending' ? toRfc3339(d.nextAttemptAt) : null,
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  created_at: toRfc3339(d.createdAt),
  delivered_at: d.deliveredAt === null ? null : toRfc3339(d.deliveredAt),
  log: d.log.map((a) => ({
    attempt: a.attempt,
    attempted_at: toRfc3339(a.startedAt),
    duration_ms: a.durationMs,
    status_code: a.statusCode,
    error: a.error,
  })),
});

export const PingWire = Type.Object({
  delivered: Type.Boolean({ description: 'a 2xx answer arrived in time' }),
  status_code: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  duration_ms: Type.Integer(),
});

export const pingToWire = (p: PingResult) => ({
  delivered: p.delivered,
  status_code: p.statusCode,
  error: p.error,
  duration_ms: p.durationMs,
});

export const RedeliverWire = Type.Object({ requeued: Type.Integer() });

const TimeoutMs = Type.Integer({
  minimum: MIN_ALLOCATION_TIMEOUT_MS,
  maximum: MAX_ALLOCATION_TIMEOUT_MS,
  description: `default ${DEFAULT_ALLOCATION_TIMEOUT_MS}`,
});
export const AllocationCreateBody = Type.Object({
  url: Url,
  description: Type.Optional(Description),
  timeout_ms: Type.Optional(TimeoutMs),
});
export const AllocationPatchBody = Type.Object(
  { url: Type.Optional(Url), description: Type.Optional(Description), timeout_ms: Type.Optional(TimeoutMs) },
  { minProperties: 1 },
);

const allocationFields = {
  id: Type.String(),
  url: Type.String(),
  description: Type.String(),
  timeout_ms: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
};
export const { wire: AllocationWire, withSecret: AllocationWithSecret } = targetWires(allocationFields);

export const allocationToWire = (h: AllocationWebhook) => ({
  id: h.id,
  url: h.url,
  description: h.description,
  timeout_ms: h.timeoutMs,
  created_at: toRfc3339(h.createdAt),
  updated_at: toRfc3339(h.updatedAt),
});

export const AllocationTestBody = Type.Object({
  registration_id: Type.String({ minLength: 1, maxLength: 256 }),
  identity: Type.Optional(Type.Object({}, { additionalProperties: true, maxProperties: 64 })),
  payload: Type.Optional(Type.Unknown()),
});

export const AllocationDecisionWire = Type.Object({
  decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
  reason: Type.Optional(Type.String()),
  overrides: Type.Optional(
    Type.Object({
      group: Type.Optional(Type.String()),
      tags: Type.Optional(Type.Record(Type.String(), Type.String())),
      bootstrap_config: Type.Optional(Type.Object({}, { additionalProperties: true })),
    }),
  ),
});

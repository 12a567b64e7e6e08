export {
  type DomainEvent,
  devicesWithEventSince,
  type EventType,
  eventTypes,
  listEvents,
  recordEvent,
  recordEvents,
} from './events-repo.js';
export type { AuditQuery } from './events-repo-audit.js';
export { AUDIT_EVENTS_PATH, auditRoutes } from './events-routes-audit.js';
export { EVENT_STREAM_PATH, eventStreamRoutes, MAX_REPLAY } from './events-routes-stream.js';
export { type AuditLog, createAuditLog } from './events-service-audit.js';
export { createEventStreamHub, type EventStreamHub } from './events-stream-hub.js';

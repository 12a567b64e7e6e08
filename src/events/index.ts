export {
  type EventPayloads,
  type EventType,
  type EventTypeWith,
  eventTypes,
  type PayloadWithout,
} from './event-types.js';
export {
  type AnyEventRecord,
  devicesWithEventSince,
  type EventRecord,
  listEvents,
  recordEvent,
  recordEvents,
} from './events-repo.js';
export { auditRoutes } from './events-routes-audit.js';
export { eventStreamRoutes } from './events-routes-stream.js';
export { type AuditLog, createAuditLog } from './events-service-audit.js';
export { createEventStreamHub } from './events-stream-hub.js';

import type { Module } from '../http/module.js';
import type { Db } from '../store/store.js';
import { auditRoutes } from './events-routes-audit.js';
import { type AuditLog, createAuditLog } from './events-service-audit.js';

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
export { eventStreamRoutes } from './events-routes-stream.js';
export type { AuditLog } from './events-service-audit.js';
export { createEventStreamHub } from './events-stream-hub.js';

export interface EventsModule extends Module {
  audit: AuditLog;
}

/**
 * The events domain: the audit log. Its live streams belong to one HTTP app (src/app.ts builds
 * their hub, which ends them when the app closes).
 */
export const createEventsModule = (deps: { db: Db }): EventsModule => {
  const audit = createAuditLog(deps);
  return { audit, routes: { management: [auditRoutes(audit)] } };
};

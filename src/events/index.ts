export { type DomainEvent, type EventType, eventTypes, listEvents, recordEvent } from './events-repo.js';

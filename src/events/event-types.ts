import type { Static } from 'typebox';
import { deviceEvents } from './event-types-device.js';
import { updateEvents, webhookEvents } from './event-types-fleet.js';
import { bootstrapEvents, enrollmentEvents, factoryEvents, pkiEvents } from './event-types-provisioning.js';

/**
 * Every event type the outbox holds, with when it is recorded and its payload (`data` of webhook
 * bodies and of the audit log). `recordEvent` is typed by it, and the table of event types in
 * docs/webhooks.md is generated from it (`npm run docs`): a new type or field starts here.
 */
export const EVENT_TYPES = {
  ...deviceEvents,
  ...updateEvents,
  ...bootstrapEvents,
  ...pkiEvents,
  ...enrollmentEvents,
  ...factoryEvents,
  ...webhookEvents,
};

export type EventType = keyof typeof EVENT_TYPES;

/** The payload of each event type, as the code sends it. */
export type EventPayloads = { [K in EventType]: Static<(typeof EVENT_TYPES)[K]['payload']> };

/** The event types whose payload has every field of `F` (for helpers that fill them in). */
export type EventTypeWith<F extends string> = {
  [K in EventType]: [F] extends [keyof EventPayloads[K]] ? K : never;
}[EventType];

/** A payload without the fields a helper fills in. */
export type PayloadWithout<T extends EventType, F extends string> = Omit<EventPayloads[T], F>;

export const eventTypes = Object.keys(EVENT_TYPES) as readonly EventType[];

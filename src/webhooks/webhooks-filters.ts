import { eventTypes } from '../events/index.js';
import { webhooksErrors } from './webhooks-errors.js';

export const MAX_EVENT_TYPES = 100;

/**
 * Validates a subscription's event type list: exact types, `<prefix>.*` (every type of a
 * domain, including types added later) or `*`. Duplicates are dropped; order is kept.
 */
export const checkEventTypes = (list: readonly string[]): string[] => {
  if (list.length === 0) throw webhooksErrors.badEventTypes('event_types must not be empty');
  if (list.length > MAX_EVENT_TYPES)
    throw webhooksErrors.badEventTypes(`at most ${MAX_EVENT_TYPES} event types`);
  const known = eventTypes as readonly string[];
  for (const t of list) {
    if (t === '*') continue;
    if (t.endsWith('.*')) {
      const prefix = t.slice(0, -1);
      if (known.some((k) => k.startsWith(prefix))) continue;
    } else if (known.includes(t)) continue;
    throw webhooksErrors.badEventTypes(`unknown event type "${t.slice(0, 100)}"`);
  }
  return [...new Set(list)];
};

export const matchesEventType = (patterns: readonly string[], type: string): boolean =>
  patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));

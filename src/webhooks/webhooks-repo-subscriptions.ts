import { num } from '../store/store.js';
import { createTargetRepo } from './webhooks-target-repo.js';
import type { Subscription } from './webhooks-types.js';

/** Event subscriptions' queries: the shared target columns, `event_types` and `enabled`. */
export const subscriptionsRepo = createTargetRepo({
  table: 'webhook_subscriptions',
  toTarget: (base, r): Subscription => ({
    id: base.id,
    tenantId: base.tenantId,
    url: base.url,
    description: base.description,
    eventTypes: JSON.parse(r.event_types) as string[],
    enabled: num(r.enabled) === 1,
    createdAt: base.createdAt,
    updatedAt: base.updatedAt,
  }),
  ownRow: (s) => ({ event_types: JSON.stringify(s.eventTypes), enabled: s.enabled ? 1 : 0 }),
  ownSet: (p: { eventTypes?: string[]; enabled?: boolean }) => ({
    ...(p.eventTypes === undefined ? {} : { event_types: JSON.stringify(p.eventTypes) }),
    ...(p.enabled === undefined ? {} : { enabled: p.enabled ? 1 : 0 }),
  }),
});

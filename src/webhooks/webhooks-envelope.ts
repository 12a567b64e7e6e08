import { toRfc3339 } from '../core/clock.js';

/**
 * The JSON body of every Gatehouse webhook request, events and allocation requests alike
 * (docs/webhooks.md). Field order is fixed; the same event always serialises to the same bytes,
 * so a retry carries the same body as the first attempt.
 */
export const envelopeJson = (e: {
  id: string;
  type: string;
  tenantId: string;
  deviceId: string | null;
  createdAt: number;
  data: unknown;
}): string =>
  JSON.stringify({
    id: e.id,
    type: e.type,
    tenant_id: e.tenantId,
    device_id: e.deviceId,
    created_at: toRfc3339(e.createdAt),
    data: e.data,
  });

/** The secret box's additional data: a sealed secret only opens for its own row. */
export const subscriptionSecretAad = (id: string): string => `webhook_subscriptions:${id}`;
export const allocationSecretAad = (id: string): string => `allocation_webhooks:${id}`;

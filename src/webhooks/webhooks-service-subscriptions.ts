import type { Clock } from '../core/clock.js';
import { newId, newOrderedId } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { recordEvent } from '../events/index.js';
import type { Store } from '../store/store.js';
import { subscriptionSecretAad } from './webhooks-envelope.js';
import { webhooksErrors } from './webhooks-errors.js';
import { checkEventTypes } from './webhooks-filters.js';
import type { HttpSender } from './webhooks-http.js';
import { listDeliveries, requeueFailed } from './webhooks-repo-log.js';
import { subscriptionsRepo } from './webhooks-repo-subscriptions.js';
import { redactUrl } from './webhooks-target.js';
import { isDelivered, openTargetSecret, sendSignedEnvelope } from './webhooks-target-send.js';
import { createTargetSteps } from './webhooks-target-service.js';
import type { Delivery, DeliveryStatus, PingResult, Subscription } from './webhooks-types.js';

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
  description?: string;
  enabled?: boolean;
}

export interface WebhookSubscriptionsService {
  /** Creates a subscription; the secret is returned here and by rotateSecret only. */
  create(tenantId: string, input: SubscriptionInput): Promise<{ subscription: Subscription; secret: string }>;
  list(
    tenantId: string,
    q: { offset: number; limit: number },
  ): Promise<{ subscriptions: Subscription[]; total: number }>;
  get(tenantId: string, id: string): Promise<Subscription>;
  update(tenantId: string, id: string, patch: Partial<SubscriptionInput>): Promise<Subscription>;
  remove(tenantId: string, id: string): Promise<void>;
  rotateSecret(tenantId: string, id: string): Promise<{ subscription: Subscription; secret: string }>;
  /** Sends a signed `webhook.ping` now and reports the answer (nothing is stored). */
  ping(tenantId: string, id: string): Promise<PingResult>;
  deliveries(
    tenantId: string,
    id: string,
    q: { status?: DeliveryStatus; eventId?: string; offset: number; limit: number },
  ): Promise<{ deliveries: Delivery[]; total: number }>;
  /** Makes every failed delivery pending again (with a fresh retry budget). */
  redeliverFailed(tenantId: string, id: string): Promise<number>;
}

/** Webhook subscriptions: management of who receives which events (docs/webhooks.md). */
export const createWebhookSubscriptionsService = (deps: {
  store: Store;
  clock: Clock;
  box: SecretBox;
  send: HttpSender;
  allowPrivateTargets: boolean;
  timeoutMs: number;
}): WebhookSubscriptionsService => {
  const { clock, box } = deps;
  const db = deps.store.db;
  const steps = createTargetSteps(deps, {
    repo: subscriptionsRepo,
    lockPrefix: 'webhooks',
    secretAad: subscriptionSecretAad,
    notFound: webhooksErrors.subscriptionNotFound,
    recordChange: (tx, s, change) =>
      recordEvent(tx, {
        tenantId: s.tenantId,
        type: `webhook.${change}`,
        payload: {
          webhook_id: s.id,
          url: redactUrl(s.url),
          event_types: s.eventTypes,
          enabled: s.enabled,
        },
        nowMs: clock.nowMs(),
      }),
  });
  const { mustFind } = steps;

  return {
    async create(tenantId, input) {
      const nowMs = clock.nowMs();
      const { target: subscription, secret } = await steps.create({
        id: newId(),
        tenantId,
        url: steps.checkUrl(input.url),
        description: steps.checkDescription(input.description) ?? '',
        eventTypes: checkEventTypes(input.eventTypes),
        enabled: input.enabled ?? true,
        createdAt: nowMs,
        updatedAt: nowMs,
      });
      return { subscription, secret };
    },

    list: async (tenantId, q) => {
      const { targets, total } = await steps.list(tenantId, q);
      return { subscriptions: targets, total };
    },

    get: steps.get,

    async update(tenantId, id, patch) {
      const url = steps.checkOptionalUrl(patch.url);
      const eventTypes = patch.eventTypes === undefined ? undefined : checkEventTypes(patch.eventTypes);
      const description = steps.checkDescription(patch.description);
      return steps.update(
        tenantId,
        id,
        { url, description },
        { eventTypes, enabled: patch.enabled },
        (current) => ({
          eventTypes: eventTypes ?? current.eventTypes,
          enabled: patch.enabled ?? current.enabled,
        }),
      );
    },

    remove: steps.remove,

    async rotateSecret(tenantId, id) {
      const { target: subscription, secret } = await steps.rotateSecret(tenantId, id);
      return { subscription, secret };
    },

    async ping(tenantId, id) {
      const { target: s, secretSealed } = await mustFind(db, tenantId, id);
      const opened = openTargetSecret(box, secretSealed, subscriptionSecretAad(s.id));
      if (!opened.ok) throw opened.error;
      const { secret } = opened;
      const nowMs = clock.nowMs();
      const pingId = newOrderedId(nowMs);
      const res = await sendSignedEnvelope(deps.send, {
        url: s.url,
        secret,
        envelope: {
          id: pingId,
          type: 'webhook.ping',
          tenantId,
          deviceId: null,
          createdAt: nowMs,
          data: { webhook_id: s.id, event_types: s.eventTypes },
        },
        deliveryId: pingId,
        nowMs,
        timeoutMs: deps.timeoutMs,
        maxResponseBytes: 1024,
      });
      const delivered = isDelivered(res);
      return {
        delivered,
        statusCode: res.statusCode,
        error: delivered ? null : (res.error ?? `HTTP ${res.statusCode}`),
        durationMs: res.durationMs,
      };
    },

    async deliveries(tenantId, id, q) {
      await mustFind(db, tenantId, id);
      return listDeliveries(db, id, q);
    },

    async redeliverFailed(tenantId, id) {
      await mustFind(db, tenantId, id);
      return requeueFailed(db, id, clock.nowMs());
    },
  };
};

import type { Clock } from '../core/clock.js';
import { isUuid, newId, newOrderedId } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { type EventType, recordEvent } from '../events/index.js';
import { lockKey } from '../store/conflicts.js';
import type { Executor, Store } from '../store/store.js';
import { envelopeJson, subscriptionSecretAad } from './webhooks-envelope.js';
import { webhooksErrors } from './webhooks-errors.js';
import { checkEventTypes } from './webhooks-filters.js';
import type { HttpSender } from './webhooks-http.js';
import { listDeliveries, requeueFailed } from './webhooks-repo-log.js';
import {
  countSubscriptions,
  deleteSubscription,
  findSubscription,
  insertSubscription,
  listSubscriptions,
  type SubscriptionRecord,
  updateSubscription,
} from './webhooks-repo-subscriptions.js';
import { newWebhookSecret, signedHeaders } from './webhooks-signing.js';
import { checkTargetUrl, redactUrl } from './webhooks-target.js';
import type { Delivery, DeliveryStatus, PingResult, Subscription } from './webhooks-types.js';

export const MAX_SUBSCRIPTIONS_PER_TENANT = 50;
export const MAX_DESCRIPTION_LENGTH = 1024;

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

  const mustFind = async (ex: Executor, tenantId: string, id: string): Promise<SubscriptionRecord> => {
    const r = isUuid(id) ? await findSubscription(ex, tenantId, id) : undefined;
    if (!r) throw webhooksErrors.subscriptionNotFound();
    return r;
  };
  const checkDescription = (d: string | undefined): string | undefined => {
    if (d !== undefined && d.length > MAX_DESCRIPTION_LENGTH)
      throw webhooksErrors.badRequest(`description longer than ${MAX_DESCRIPTION_LENGTH} characters`);
    return d;
  };
  const event = (tx: Executor, s: Subscription, type: EventType, extra: Record<string, unknown> = {}) =>
    recordEvent(tx, {
      tenantId: s.tenantId,
      type,
      payload: {
        webhook_id: s.id,
        url: redactUrl(s.url),
        event_types: s.eventTypes,
        enabled: s.enabled,
        ...extra,
      },
      nowMs: clock.nowMs(),
    });

  return {
    async create(tenantId, input) {
      const nowMs = clock.nowMs();
      const subscription: Subscription = {
        id: newId(),
        tenantId,
        url: checkTargetUrl(input.url, { allowPrivate: deps.allowPrivateTargets }),
        description: checkDescription(input.description) ?? '',
        eventTypes: checkEventTypes(input.eventTypes),
        enabled: input.enabled ?? true,
        createdAt: nowMs,
        updatedAt: nowMs,
      };
      const secret = newWebhookSecret();
      const secretSealed = box.seal(secret, subscriptionSecretAad(subscription.id));
      await db.transaction().execute(async (tx) => {
        // Count and insert one at a time per tenant, or concurrent creates could pass the cap.
        await lockKey(deps.store, tx, `webhooks:${tenantId}`);
        if ((await countSubscriptions(tx, tenantId)) >= MAX_SUBSCRIPTIONS_PER_TENANT)
          throw webhooksErrors.tooMany(MAX_SUBSCRIPTIONS_PER_TENANT);
        await insertSubscription(tx, { subscription, secretSealed });
        await event(tx, subscription, 'webhook.created');
      });
      return { subscription, secret };
    },

    list: (tenantId, q) => listSubscriptions(db, tenantId, q),

    get: async (tenantId, id) => (await mustFind(db, tenantId, id)).subscription,

    async update(tenantId, id, patch) {
      const url =
        patch.url === undefined
          ? undefined
          : checkTargetUrl(patch.url, { allowPrivate: deps.allowPrivateTargets });
      const eventTypes = patch.eventTypes === undefined ? undefined : checkEventTypes(patch.eventTypes);
      const description = checkDescription(patch.description);
      const nowMs = clock.nowMs();
      return db.transaction().execute(async (tx) => {
        const current = (await mustFind(tx, tenantId, id)).subscription;
        const next: Subscription = {
          ...current,
          url: url ?? current.url,
          eventTypes: eventTypes ?? current.eventTypes,
          description: description ?? current.description,
          enabled: patch.enabled ?? current.enabled,
          updatedAt: nowMs,
        };
        await updateSubscription(tx, tenantId, id, {
          url,
          eventTypes,
          description,
          enabled: patch.enabled,
          updatedAt: nowMs,
        });
        await event(tx, next, 'webhook.updated');
        return next;
      });
    },

    async remove(tenantId, id) {
      await db.transaction().execute(async (tx) => {
        const { subscription } = await mustFind(tx, tenantId, id);
        await deleteSubscription(tx, tenantId, id);
        await event(tx, subscription, 'webhook.deleted');
      });
    },

    async rotateSecret(tenantId, id) {
      const secret = newWebhookSecret();
      const secretSealed = box.seal(secret, subscriptionSecretAad(id));
      const nowMs = clock.nowMs();
      const subscription = await db.transaction().execute(async (tx) => {
        const current = (await mustFind(tx, tenantId, id)).subscription;
        await updateSubscription(tx, tenantId, id, { secretSealed, updatedAt: nowMs });
        const next = { ...current, updatedAt: nowMs };
        await event(tx, next, 'webhook.secret_rotated');
        return next;
      });
      return { subscription, secret };
    },

    async ping(tenantId, id) {
      const { subscription: s, secretSealed } = await mustFind(db, tenantId, id);
      const secret = box.open(secretSealed, subscriptionSecretAad(s.id)).toString('utf8');
      const nowMs = clock.nowMs();
      const pingId = newOrderedId(nowMs);
      const body = envelopeJson({
        id: pingId,
        type: 'webhook.ping',
        tenantId,
        deviceId: null,
        createdAt: nowMs,
        data: { webhook_id: s.id, event_types: s.eventTypes },
      });
      const res = await deps.send({
        url: s.url,
        headers: signedHeaders({ secret, body, eventType: 'webhook.ping', deliveryId: pingId, nowMs }),
        body,
        timeoutMs: deps.timeoutMs,
        maxResponseBytes: 1024,
      });
      const delivered =
        res.error === null && res.statusCode !== null && res.statusCode >= 200 && res.statusCode < 300;
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

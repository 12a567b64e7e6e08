import { Type } from 'typebox';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import {
  DeliveriesQuery,
  DeliveryWire,
  deliveryToWire,
  IdParams,
  PingWire,
  pingToWire,
  RedeliverWire,
  WebhookCreateBody,
  WebhookPatchBody,
  WebhookWire,
  WebhookWithSecret,
  webhookToWire,
} from './webhooks-schemas.js';
import type { WebhookSubscriptionsService } from './webhooks-service-subscriptions.js';
import { targetRoutes, targetRoutesService } from './webhooks-target-routes.js';

export const WEBHOOKS_BASE = '/api/management/v1/webhooks';
const tags = ['Webhooks'];

/** Event subscriptions: management of outbound webhooks and their delivery log (docs/webhooks.md). */
export const webhooksMgmtRoutes = (service: WebhookSubscriptionsService) => async (app: App) => {
  targetRoutes(app, {
    base: WEBHOOKS_BASE,
    tags,
    words: {
      create: {
        summary: 'Subscribe a URL to events',
        description:
          'Answers the webhook with its signing secret, which is shown only here (and when rotated).',
      },
      list: { summary: 'List webhooks (oldest first)' },
      get: { summary: 'Read a webhook (never its secret)' },
      update: {
        summary: 'Change a webhook (url, event types, description, enabled)',
        description:
          'Pending deliveries go to the new URL. While disabled, a webhook is sent nothing and gets no deliveries for the events of that time; queued deliveries wait.',
      },
      remove: { summary: 'Delete a webhook and its delivery log' },
      rotateSecret: {
        summary: 'Replace the signing secret',
        description: 'The new secret signs every request from now on (retries included); shown only here.',
      },
    },
    removeErrors: [401, 403, 404],
    createBody: WebhookCreateBody,
    patchBody: WebhookPatchBody,
    wire: WebhookWire,
    withSecret: WebhookWithSecret,
    toWire: webhookToWire,
    toInput: (b) => ({
      url: b.url,
      eventTypes: b.event_types,
      description: b.description,
      enabled: b.enabled,
    }),
    toPatch: (b) => ({
      url: b.url,
      eventTypes: b.event_types,
      description: b.description,
      enabled: b.enabled,
    }),
    service: targetRoutesService('subscription', service),
  });

  app.post(
    `${WEBHOOKS_BASE}/:id/ping`,
    {
      schema: {
        tags,
        summary: 'Send a signed webhook.ping now and report the answer',
        params: IdParams,
        response: { 200: PingWire, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => pingToWire(await service.ping(userOf(req).tenantId, req.params.id)),
  );

  app.get(
    `${WEBHOOKS_BASE}/:id/deliveries`,
    {
      schema: {
        tags,
        summary: 'Delivery log (newest event first), with every attempt',
        params: IdParams,
        querystring: DeliveriesQuery,
        response: { 200: Type.Array(DeliveryWire), ...errorResponses(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const page = parsePage(req.query);
      const { deliveries, total } = await service.deliveries(userOf(req).tenantId, req.params.id, {
        status: req.query.status,
        eventId: req.query.event_id,
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, deliveries.map(deliveryToWire), total, pageFollows(page, total));
    },
  );

  app.post(
    `${WEBHOOKS_BASE}/:id/redeliver`,
    {
      schema: {
        tags,
        summary: 'Retry every failed delivery (with a fresh retry budget)',
        description:
          'Failed deliveries hold back later events of the same device (delivery is in order per device); this releases them.',
        params: IdParams,
        response: { 200: RedeliverWire, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => ({ requeued: await service.redeliverFailed(userOf(req).tenantId, req.params.id) }),
  );
};

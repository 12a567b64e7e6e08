import { Type } from 'typebox';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { EmptyBody, errorResponses, PagingQuery } from '../http/schemas-common.js';
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

export const WEBHOOKS_BASE = '/api/management/v1/webhooks';
const tags = ['Webhooks'];

/** Event subscriptions: management of outbound webhooks and their delivery log (docs/webhooks.md). */
export const webhooksMgmtRoutes = (service: WebhookSubscriptionsService) => async (app: App) => {
  app.post(
    WEBHOOKS_BASE,
    {
      schema: {
        tags,
        summary: 'Subscribe a URL to events',
        description:
          'Answers the webhook with its signing secret, which is shown only here (and when rotated).',
        body: WebhookCreateBody,
        response: { 201: WebhookWithSecret, ...errorResponses(400, 401, 403, 409, 415) },
      },
    },
    async (req, reply) => {
      const { subscription, secret } = await service.create(userOf(req).tenantId, {
        url: req.body.url,
        eventTypes: req.body.event_types,
        description: req.body.description,
        enabled: req.body.enabled,
      });
      return reply
        .code(201)
        .header('Location', `${WEBHOOKS_BASE}/${subscription.id}`)
        .send({ ...webhookToWire(subscription), secret });
    },
  );

  app.get(
    WEBHOOKS_BASE,
    {
      schema: {
        tags,
        summary: 'List webhooks (oldest first)',
        querystring: Type.Object(PagingQuery),
        response: { 200: Type.Array(WebhookWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const page = parsePage(req.query);
      const { subscriptions, total } = await service.list(userOf(req).tenantId, {
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(
        reply,
        req.url,
        page,
        subscriptions.map(webhookToWire),
        total,
        pageFollows(page, total),
      );
    },
  );

  app.get(
    `${WEBHOOKS_BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Read a webhook (never its secret)',
        params: IdParams,
        response: { 200: WebhookWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => webhookToWire(await service.get(userOf(req).tenantId, req.params.id)),
  );

  app.patch(
    `${WEBHOOKS_BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Change a webhook (url, event types, description, enabled)',
        description:
          'Pending deliveries go to the new URL. While disabled, a webhook is sent nothing and gets no deliveries for the events of that time; queued deliveries wait.',
        params: IdParams,
        body: WebhookPatchBody,
        response: { 200: WebhookWire, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req) =>
      webhookToWire(
        await service.update(userOf(req).tenantId, req.params.id, {
          url: req.body.url,
          eventTypes: req.body.event_types,
          description: req.body.description,
          enabled: req.body.enabled,
        }),
      ),
  );

  app.delete(
    `${WEBHOOKS_BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Delete a webhook and its delivery log',
        params: IdParams,
        response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await service.remove(userOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    `${WEBHOOKS_BASE}/:id/secret`,
    {
      schema: {
        tags,
        summary: 'Replace the signing secret',
        description: 'The new secret signs every request from now on (retries included); shown only here.',
        params: IdParams,
        response: { 200: WebhookWithSecret, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const { subscription, secret } = await service.rotateSecret(userOf(req).tenantId, req.params.id);
      return { ...webhookToWire(subscription), secret };
    },
  );

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

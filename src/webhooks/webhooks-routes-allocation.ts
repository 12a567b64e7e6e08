import { Type } from 'typebox';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { EmptyBody, errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import {
  AllocationCreateBody,
  AllocationDecisionWire,
  AllocationPatchBody,
  AllocationTestBody,
  AllocationWire,
  AllocationWithSecret,
  allocationToWire,
  IdParams,
} from './webhooks-schemas.js';
import type { AllocationWebhooksService } from './webhooks-service-allocation.js';

export const ALLOCATION_BASE = '/api/management/v1/allocation-webhooks';
const tags = ['Webhooks (allocation)'];

/** Allocation webhooks: an HTTPS call that allows or denies an admission (docs/webhooks.md). */
export const allocationWebhooksRoutes = (service: AllocationWebhooksService) => async (app: App) => {
  app.post(
    ALLOCATION_BASE,
    {
      schema: {
        tags,
        summary: 'Create an allocation webhook',
        description: 'Answers with the signing secret, shown only here (and when rotated).',
        body: AllocationCreateBody,
        response: { 201: AllocationWithSecret, ...errorResponses(400, 401, 403, 409, 415) },
      },
    },
    async (req, reply) => {
      const { hook, secret } = await service.create(userOf(req).tenantId, {
        url: req.body.url,
        description: req.body.description,
        timeoutMs: req.body.timeout_ms,
      });
      return reply
        .code(201)
        .header('Location', `${ALLOCATION_BASE}/${hook.id}`)
        .send({ ...allocationToWire(hook), secret });
    },
  );

  app.get(
    ALLOCATION_BASE,
    {
      schema: {
        tags,
        summary: 'List allocation webhooks (oldest first)',
        querystring: Type.Object(PagingQuery),
        response: { 200: Type.Array(AllocationWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const page = parsePage(req.query);
      const { hooks, total } = await service.list(userOf(req).tenantId, {
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, hooks.map(allocationToWire), total, pageFollows(page, total));
    },
  );

  app.get(
    `${ALLOCATION_BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Read an allocation webhook (never its secret)',
        params: IdParams,
        response: { 200: AllocationWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => allocationToWire(await service.get(userOf(req).tenantId, req.params.id)),
  );

  app.patch(
    `${ALLOCATION_BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Change an allocation webhook (url, description, timeout)',
        params: IdParams,
        body: AllocationPatchBody,
        response: { 200: AllocationWire, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req) =>
      allocationToWire(
        await service.update(userOf(req).tenantId, req.params.id, {
          url: req.body.url,
          description: req.body.description,
          timeoutMs: req.body.timeout_ms,
        }),
      ),
  );

  app.delete(
    `${ALLOCATION_BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Delete an allocation webhook (409 while an enrollment group uses it)',
        params: IdParams,
        response: { 204: EmptyBody, ...errorResponses(401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await service.remove(userOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    `${ALLOCATION_BASE}/:id/secret`,
    {
      schema: {
        tags,
        summary: 'Replace the signing secret (shown only in this answer)',
        params: IdParams,
        response: { 200: AllocationWithSecret, ...errorResponses(401, 403, 404) },
      },
    },
    async (req) => {
      const { hook, secret } = await service.rotateSecret(userOf(req).tenantId, req.params.id);
      return { ...allocationToWire(hook), secret };
    },
  );

  app.post(
    `${ALLOCATION_BASE}/:id/test`,
    {
      schema: {
        tags,
        summary: 'Call the webhook with a sample context and return its decision',
        description:
          'A real call, recorded as allocation.allowed or allocation.denied like any other; nothing is admitted.',
        params: IdParams,
        body: AllocationTestBody,
        response: { 200: AllocationDecisionWire, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req) => {
      const tenantId = userOf(req).tenantId;
      await service.get(tenantId, req.params.id);
      return service.allocate(tenantId, req.params.id, {
        registration_id: req.body.registration_id,
        identity: (req.body.identity ?? {}) as Record<string, unknown>,
        ...(req.body.payload === undefined ? {} : { payload: req.body.payload }),
        enrollment: { test: true },
      });
    },
  );
};

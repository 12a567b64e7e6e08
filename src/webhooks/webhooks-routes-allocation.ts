import { errorResponses } from '../http/schemas-common.js';
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
import { targetRoutes, targetRoutesService } from './webhooks-target-routes.js';

export const ALLOCATION_BASE = '/api/management/v1/allocation-webhooks';
const tags = ['Webhooks (allocation)'];

/** Allocation webhooks: an HTTPS call that allows or denies an admission (docs/webhooks.md). */
export const allocationWebhooksRoutes = (service: AllocationWebhooksService) => async (app: App) => {
  targetRoutes(app, {
    base: ALLOCATION_BASE,
    tags,
    words: {
      create: {
        summary: 'Create an allocation webhook',
        description: 'Answers with the signing secret, shown only here (and when rotated).',
      },
      list: { summary: 'List allocation webhooks (oldest first)' },
      get: { summary: 'Read an allocation webhook (never its secret)' },
      update: { summary: 'Change an allocation webhook (url, description, timeout)' },
      remove: { summary: 'Delete an allocation webhook (409 while an enrollment group uses it)' },
      rotateSecret: { summary: 'Replace the signing secret (shown only in this answer)' },
    },
    removeErrors: [401, 403, 404, 409],
    createBody: AllocationCreateBody,
    patchBody: AllocationPatchBody,
    wire: AllocationWire,
    withSecret: AllocationWithSecret,
    toWire: allocationToWire,
    toInput: (b) => ({ url: b.url, description: b.description, timeoutMs: b.timeout_ms }),
    toPatch: (b) => ({ url: b.url, description: b.description, timeoutMs: b.timeout_ms }),
    service: targetRoutesService('hook', service),
  });

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

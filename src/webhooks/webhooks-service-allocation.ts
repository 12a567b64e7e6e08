import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { recordEvent } from '../events/index.js';
import { isForeignKeyViolation, type Store } from '../store/store.js';
import { createAllocate } from './allocation-call.js';
import { allocationSecretAad } from './webhooks-envelope.js';
import { webhooksErrors } from './webhooks-errors.js';
import type { HttpSender } from './webhooks-http.js';
import { allocationWebhooksRepo } from './webhooks-repo-allocation.js';
import { redactUrl } from './webhooks-target.js';
import { createTargetSteps } from './webhooks-target-service.js';
import type { Allocate, AllocationWebhook } from './webhooks-types.js';

export const DEFAULT_ALLOCATION_TIMEOUT_MS = 5000;
export const MIN_ALLOCATION_TIMEOUT_MS = 100;
export const MAX_ALLOCATION_TIMEOUT_MS = 30_000;

export interface AllocationWebhookInput {
  url: string;
  description?: string;
  timeoutMs?: number;
}

export interface AllocationWebhooksService {
  create(
    tenantId: string,
    input: AllocationWebhookInput,
  ): Promise<{ hook: AllocationWebhook; secret: string }>;
  list(
    tenantId: string,
    q: { offset: number; limit: number },
  ): Promise<{ hooks: AllocationWebhook[]; total: number }>;
  /** 404 when the tenant has no such webhook (enrollment checks references with this). */
  get(tenantId: string, id: string): Promise<AllocationWebhook>;
  update(tenantId: string, id: string, patch: Partial<AllocationWebhookInput>): Promise<AllocationWebhook>;
  remove(tenantId: string, id: string): Promise<void>;
  rotateSecret(tenantId: string, id: string): Promise<{ hook: AllocationWebhook; secret: string }>;
  /** The allocation call itself, for admission (part of the enrollment flow). */
  allocate: Allocate;
}

export const createAllocationWebhooksService = (deps: {
  store: Store;
  clock: Clock;
  box: SecretBox;
  send: HttpSender;
  allowPrivateTargets: boolean;
}): AllocationWebhooksService => {
  const { clock } = deps;
  const steps = createTargetSteps(deps, {
    repo: allocationWebhooksRepo,
    lockPrefix: 'allocation-webhooks',
    secretAad: allocationSecretAad,
    notFound: webhooksErrors.allocationWebhookNotFound,
    recordChange: (tx, h, change) =>
      recordEvent(tx, {
        tenantId: h.tenantId,
        type: `allocation_webhook.${change}`,
        payload: { allocation_webhook_id: h.id, url: redactUrl(h.url), timeout_ms: h.timeoutMs },
        nowMs: clock.nowMs(),
      }),
  });

  const checkTimeout = (ms: number | undefined): number | undefined => {
    if (
      ms !== undefined &&
      (!Number.isInteger(ms) || ms < MIN_ALLOCATION_TIMEOUT_MS || ms > MAX_ALLOCATION_TIMEOUT_MS)
    )
      throw webhooksErrors.badRequest(
        `timeout_ms must be an integer from ${MIN_ALLOCATION_TIMEOUT_MS} to ${MAX_ALLOCATION_TIMEOUT_MS}`,
      );
    return ms;
  };

  return {
    async create(tenantId, input) {
      const nowMs = clock.nowMs();
      const { target: hook, secret } = await steps.create({
        id: newId(),
        tenantId,
        url: steps.checkUrl(input.url),
        description: steps.checkDescription(input.description) ?? '',
        timeoutMs: checkTimeout(input.timeoutMs) ?? DEFAULT_ALLOCATION_TIMEOUT_MS,
        createdAt: nowMs,
        updatedAt: nowMs,
      });
      return { hook, secret };
    },

    list: async (tenantId, q) => {
      const { targets, total } = await steps.list(tenantId, q);
      return { hooks: targets, total };
    },

    get: steps.get,

    async update(tenantId, id, patch) {
      const url = steps.checkOptionalUrl(patch.url);
      const timeoutMs = checkTimeout(patch.timeoutMs);
      const description = steps.checkDescription(patch.description);
      return steps.update(tenantId, id, { url, description }, { timeoutMs }, (current) => ({
        timeoutMs: timeoutMs ?? current.timeoutMs,
      }));
    },

    async remove(tenantId, id) {
      try {
        await steps.remove(tenantId, id);
      } catch (e) {
        // Enrollment groups may reference a webhook with a foreign key.
        if (isForeignKeyViolation(e)) throw webhooksErrors.inUse();
        throw e;
      }
    },

    async rotateSecret(tenantId, id) {
      const { target: hook, secret } = await steps.rotateSecret(tenantId, id);
      return { hook, secret };
    },

    allocate: createAllocate({ ...deps, find: steps.find }),
  };
};

import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { type EventType, recordEvent } from '../events/index.js';
import { lockKey } from '../store/conflicts.js';
import { type Executor, isForeignKeyViolation, type Store } from '../store/store.js';
import { createAllocate } from './allocation-call.js';
import { allocationSecretAad } from './webhooks-envelope.js';
import { webhooksErrors } from './webhooks-errors.js';
import type { HttpSender } from './webhooks-http.js';
import {
  type AllocationWebhookRecord,
  countAllocationWebhooks,
  deleteAllocationWebhook,
  findAllocationWebhook,
  insertAllocationWebhook,
  listAllocationWebhooks,
  updateAllocationWebhook,
} from './webhooks-repo-allocation.js';
import { MAX_DESCRIPTION_LENGTH, MAX_SUBSCRIPTIONS_PER_TENANT } from './webhooks-service-subscriptions.js';
import { newWebhookSecret } from './webhooks-signing.js';
import { checkTargetUrl, redactUrl } from './webhooks-target.js';
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
  const { clock, box } = deps;
  const db = deps.store.db;

  const mustFind = async (ex: Executor, tenantId: string, id: string): Promise<AllocationWebhookRecord> => {
    const r = isUuid(id) ? await findAllocationWebhook(ex, tenantId, id) : undefined;
    if (!r) throw webhooksErrors.allocationWebhookNotFound();
    return r;
  };
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
  const checkDescription = (d: string | undefined): string | undefined => {
    if (d !== undefined && d.length > MAX_DESCRIPTION_LENGTH)
      throw webhooksErrors.badRequest(`description longer than ${MAX_DESCRIPTION_LENGTH} characters`);
    return d;
  };
  const event = (tx: Executor, h: AllocationWebhook, type: EventType) =>
    recordEvent(tx, {
      tenantId: h.tenantId,
      type,
      payload: { allocation_webhook_id: h.id, url: redactUrl(h.url), timeout_ms: h.timeoutMs },
      nowMs: clock.nowMs(),
    });

  return {
    async create(tenantId, input) {
      const nowMs = clock.nowMs();
      const hook: AllocationWebhook = {
        id: newId(),
        tenantId,
        url: checkTargetUrl(input.url, { allowPrivate: deps.allowPrivateTargets }),
        description: checkDescription(input.description) ?? '',
        timeoutMs: checkTimeout(input.timeoutMs) ?? DEFAULT_ALLOCATION_TIMEOUT_MS,
        createdAt: nowMs,
        updatedAt: nowMs,
      };
      const secret = newWebhookSecret();
      const secretSealed = box.seal(secret, allocationSecretAad(hook.id));
      await db.transaction().execute(async (tx) => {
        // Count and insert one at a time per tenant, or concurrent creates could pass the cap.
        await lockKey(deps.store, tx, `allocation-webhooks:${tenantId}`);
        if ((await countAllocationWebhooks(tx, tenantId)) >= MAX_SUBSCRIPTIONS_PER_TENANT)
          throw webhooksErrors.tooMany(MAX_SUBSCRIPTIONS_PER_TENANT);
        await insertAllocationWebhook(tx, { hook, secretSealed });
        await event(tx, hook, 'allocation_webhook.created');
      });
      return { hook, secret };
    },

    list: (tenantId, q) => listAllocationWebhooks(db, tenantId, q),

    get: async (tenantId, id) => (await mustFind(db, tenantId, id)).hook,

    async update(tenantId, id, patch) {
      const url =
        patch.url === undefined
          ? undefined
          : checkTargetUrl(patch.url, { allowPrivate: deps.allowPrivateTargets });
      const timeoutMs = checkTimeout(patch.timeoutMs);
      const description = checkDescription(patch.description);
      const nowMs = clock.nowMs();
      return db.transaction().execute(async (tx) => {
        const current = (await mustFind(tx, tenantId, id)).hook;
        const next: AllocationWebhook = {
          ...current,
          url: url ?? current.url,
          description: description ?? current.description,
          timeoutMs: timeoutMs ?? current.timeoutMs,
          updatedAt: nowMs,
        };
        await updateAllocationWebhook(tx, tenantId, id, { url, description, timeoutMs, updatedAt: nowMs });
        await event(tx, next, 'allocation_webhook.updated');
        return next;
      });
    },

    async remove(tenantId, id) {
      try {
        await db.transaction().execute(async (tx) => {
          const { hook } = await mustFind(tx, tenantId, id);
          await deleteAllocationWebhook(tx, tenantId, id);
          await event(tx, hook, 'allocation_webhook.deleted');
        });
      } catch (e) {
        // Enrollment groups may reference a webhook with a foreign key.
        if (isForeignKeyViolation(e)) throw webhooksErrors.inUse();
        throw e;
      }
    },

    async rotateSecret(tenantId, id) {
      const secret = newWebhookSecret();
      const secretSealed = box.seal(secret, allocationSecretAad(id));
      const nowMs = clock.nowMs();
      const hook = await db.transaction().execute(async (tx) => {
        const current = (await mustFind(tx, tenantId, id)).hook;
        await updateAllocationWebhook(tx, tenantId, id, { secretSealed, updatedAt: nowMs });
        const next = { ...current, updatedAt: nowMs };
        await event(tx, next, 'allocation_webhook.secret_rotated');
        return next;
      });
      return { hook, secret };
    },

    allocate: createAllocate(deps),
  };
};

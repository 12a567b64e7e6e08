import { num } from '../store/store.js';
import { createTargetRepo } from './webhooks-target-repo.js';
import type { AllocationWebhook } from './webhooks-types.js';

/** Allocation webhooks' queries: the shared target columns and `timeout_ms`. */
export const allocationWebhooksRepo = createTargetRepo({
  table: 'allocation_webhooks',
  toTarget: (base, r): AllocationWebhook => ({
    id: base.id,
    tenantId: base.tenantId,
    url: base.url,
    description: base.description,
    timeoutMs: num(r.timeout_ms),
    createdAt: base.createdAt,
    updatedAt: base.updatedAt,
  }),
  ownRow: (h) => ({ timeout_ms: h.timeoutMs }),
  ownSet: (p: { timeoutMs?: number }) => (p.timeoutMs === undefined ? {} : { timeout_ms: p.timeoutMs }),
});

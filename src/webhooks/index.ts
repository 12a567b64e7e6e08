import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Store } from '../store/store.js';
import { createHttpSender, type HttpSender } from './webhooks-http.js';
import type { RetryPolicy } from './webhooks-retry.js';
import {
  type AllocationWebhooksService,
  createAllocationWebhooksService,
} from './webhooks-service-allocation.js';
import {
  createWebhookSubscriptionsService,
  type WebhookSubscriptionsService,
} from './webhooks-service-subscriptions.js';
import { createWebhookWorker, type WebhookWorker } from './webhooks-worker.js';

export type { HttpSender, OutboundRequest, OutboundResult } from './webhooks-http.js';
export type { RetryPolicy } from './webhooks-retry.js';
export { allocationWebhooksRoutes } from './webhooks-routes-allocation.js';
export { iotManagerIntegrationsRoutes } from './webhooks-routes-integrations.js';
export { webhooksMgmtRoutes } from './webhooks-routes-mgmt.js';
export type { AllocationWebhooksService } from './webhooks-service-allocation.js';
export type { WebhookSubscriptionsService } from './webhooks-service-subscriptions.js';
export { verifySignature } from './webhooks-signing.js';
export type { Allocate } from './webhooks-types.js';
export type { WebhookWorker } from './webhooks-worker.js';

export interface WebhooksSettings {
  allowPrivateTargets: boolean;
  pollIntervalMs: number;
  settleMs: number;
  timeoutMs: number;
  leaseMs: number;
  retry: RetryPolicy;
  retentionMs: number;
}

export interface Webhooks {
  subscriptions: WebhookSubscriptionsService;
  /** Allocation webhooks; `allocation.allocate` is the admission-time call for enrollment. */
  allocation: AllocationWebhooksService;
  /** Not started here: `gatehouse serve` starts it (src/server.ts), tests start it themselves. */
  worker: WebhookWorker;
}

/** Builds the webhooks domain (wired in src/wiring.ts). `send` is injectable for tests. */
export const createWebhooks = (deps: {
  store: Store;
  clock: Clock;
  box: SecretBox;
  settings: WebhooksSettings;
  logger: Logger;
  send?: HttpSender;
}): Webhooks => {
  const { store, clock, box, settings } = deps;
  const send = deps.send ?? createHttpSender({ allowPrivate: settings.allowPrivateTargets });
  const allowPrivateTargets = settings.allowPrivateTargets;
  return {
    subscriptions: createWebhookSubscriptionsService({
      store,
      clock,
      box,
      send,
      allowPrivateTargets,
      timeoutMs: settings.timeoutMs,
    }),
    allocation: createAllocationWebhooksService({ store, clock, box, send, allowPrivateTargets }),
    worker: createWebhookWorker({
      store,
      clock,
      box,
      send,
      onError: (err) => deps.logger.error({ err }, 'webhook delivery failed'),
      settings: {
        pollIntervalMs: settings.pollIntervalMs,
        settleMs: settings.settleMs,
        timeoutMs: settings.timeoutMs,
        leaseMs: settings.leaseMs,
        retry: settings.retry,
        retentionMs: settings.retentionMs,
      },
    }),
  };
};

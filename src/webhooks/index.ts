import type { Clock } from '../core/clock.js';
import { existsBy } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Module } from '../http/module.js';
import type { Store } from '../store/store.js';
import { createHttpSender, type HttpSender } from './webhooks-http.js';
import type { RetryPolicy } from './webhooks-retry.js';
import { allocationWebhooksRoutes } from './webhooks-routes-allocation.js';
import { iotManagerIntegrationsRoutes } from './webhooks-routes-integrations.js';
import { webhooksMgmtRoutes } from './webhooks-routes-mgmt.js';
import {
  type AllocationWebhooksService,
  createAllocationWebhooksService,
} from './webhooks-service-allocation.js';
import {
  createWebhookSubscriptionsService,
  type WebhookSubscriptionsService,
} from './webhooks-service-subscriptions.js';
import type { Allocate } from './webhooks-types.js';
import { createWebhookWorker, type WebhookWorker } from './webhooks-worker.js';

export type { HttpSender, OutboundRequest, OutboundResult } from './webhooks-http.js';
export type { RetryPolicy } from './webhooks-retry.js';
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

export interface WebhooksModule extends Module {
  subscriptions: WebhookSubscriptionsService;
  allocation: AllocationWebhooksService;
  /** For enrollment: whether a group's allocation webhook exists, and the admission-time call. */
  allocationWebhooks: { exists(tenantId: string, id: string): Promise<boolean>; allocate: Allocate };
  /** Not started here: `gatehouse serve` starts it (src/server.ts), tests start it themselves. */
  worker: WebhookWorker;
}

/** The webhooks domain: event subscriptions and their deliveries, allocation webhooks. `send` is injectable for tests. */
export const createWebhooksModule = (deps: {
  store: Store;
  clock: Clock;
  box: SecretBox;
  settings: WebhooksSettings;
  logger: Logger;
  send?: HttpSender;
}): WebhooksModule => {
  const { store, clock, box, settings } = deps;
  const send = deps.send ?? createHttpSender({ allowPrivate: settings.allowPrivateTargets });
  const allowPrivateTargets = settings.allowPrivateTargets;
  const subscriptions = createWebhookSubscriptionsService({
    store,
    clock,
    box,
    send,
    allowPrivateTargets,
    timeoutMs: settings.timeoutMs,
  });
  const allocation = createAllocationWebhooksService({ store, clock, box, send, allowPrivateTargets });
  const worker = createWebhookWorker({
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
  });
  return {
    subscriptions,
    allocation,
    allocationWebhooks: {
      exists: (tenantId, id) => existsBy(allocation.get(tenantId, id)),
      allocate: allocation.allocate,
    },
    worker,
    routes: {
      management: [
        webhooksMgmtRoutes(subscriptions),
        iotManagerIntegrationsRoutes(),
        allocationWebhooksRoutes(allocation),
      ],
    },
    close: () => worker.stop(),
  };
};

/** Delivery states as they appear on the wire. `failed` is final until a manual redelivery. */
export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** A tenant's subscription to events, delivered by POST to `url`. */
export interface Subscription {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  /** Exact event types, `<prefix>.*` or `*`. */
  eventTypes: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface DeliveryAttempt {
  attempt: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

export interface Delivery {
  id: string;
  tenantId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  deviceId: string | null;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
  log: DeliveryAttempt[];
}

/** Result of a synchronous test delivery (ping). */
export interface PingResult {
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface AllocationWebhook {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  timeoutMs: number;
  createdAt: number;
  updatedAt: number;
}

/**
 * What the caller (certificate-based admission, enrollment groups) knows about the device that
 * asks to be admitted. Sent as the `data` of the allocation request, field names as on the wire.
 */
export interface AllocationContext {
  registration_id: string;
  identity: Record<string, unknown>;
  /** The existing device, when the registration is for a known device (reprovisioning). */
  device_id?: string;
  certificate?: { pem: string; subject: string; fingerprint: string };
  enrollment?: Record<string, unknown>;
  payload?: unknown;
}

export interface AllocationOverrides {
  group?: string;
  tags?: Record<string, string>;
  bootstrap_config?: Record<string, unknown>;
}

export type AllocationResult =
  | { decision: 'allow'; overrides?: AllocationOverrides }
  | { decision: 'deny'; reason: string };

/** The allocation call for other domains (enrollment): never throws, any failure is a deny. */
export type Allocate = (
  tenantId: string,
  webhookId: string,
  context: AllocationContext,
) => Promise<AllocationResult>;

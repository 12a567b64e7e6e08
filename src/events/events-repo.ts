import { newOrderedId, orderedIdFloor } from '../core/ids.js';
import { type Executor, num } from '../store/store.js';

/**
 * The outbox: domain events written in the same transaction as the change they describe
 * (DESIGN.md §1). Delivery (webhooks, audit queries) reads from here.
 */
export const eventTypes = [
  'device.authset_pending',
  'device.key_collision',
  'device.preauthorized',
  'device.accepted',
  'device.rejected',
  'device.authset_deleted',
  'device.decommissioned',
  'device.token_revoked',
  'device.pending_cap_reached',
  'artifact.uploaded',
  'artifact.deleted',
  'deployment.created',
  'deployment.aborted',
  'deployment.finished',
  'bootstrap.fetched',
  'bootstrap.failed',
  'bootstrap.config_created',
  'bootstrap.config_updated',
  'bootstrap.config_removed',
  'bootstrap.state_changed',
  'bootstrap.hold_changed',
  'bootstrap.settings_changed',
  'bootstrap.channel_created',
  'bootstrap.channel_updated',
  'bootstrap.channel_removed',
  'pki.ca_registered',
  'pki.ca_verified',
  'pki.ca_updated',
  'pki.ca_removed',
  'pki.ca_crl_uploaded',
  'pki.builtin_ca_created',
  'pki.certificate_issued',
  'pki.certificate_revoked',
  'pki.enrollment_credential_created',
  'pki.enrollment_credential_removed',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'allocation_webhook.created',
  'allocation_webhook.updated',
  'allocation_webhook.deleted',
  'allocation_webhook.secret_rotated',
  'allocation.allowed',
  'allocation.denied',
  'device.enrolled_by_certificate',
  'device.enrollment_refused',
  'device.auth_refused',
  'enrollment.group_created',
  'enrollment.group_updated',
  'enrollment.group_removed',
  'enrollment.individual_created',
  'enrollment.individual_updated',
  'enrollment.individual_removed',
  'factory.registered',
  'factory.disabled',
  'import.started',
  'import.finished',
] as const;
export type EventType = (typeof eventTypes)[number];

export interface DomainEvent {
  id: string;
  tenantId: string;
  type: EventType;
  deviceId: string | null;
  payload: Record<string, unknown>;
  createdAt: number;
}

export const recordEvent = async (
  db: Executor,
  e: {
    tenantId: string;
    type: EventType;
    deviceId?: string | null;
    payload?: Record<string, unknown>;
    nowMs: number;
  },
): Promise<void> => {
  await db
    .insertInto('events')
    .values({
      id: newOrderedId(e.nowMs),
      tenant_id: e.tenantId,
      type: e.type,
      device_id: e.deviceId ?? null,
      payload: JSON.stringify(e.payload ?? {}),
      created_at: e.nowMs,
    })
    .execute();
};

/**
 * Several events in one statement per 500 (for write-behind buffers of high-rate events). A
 * buffer passes the `id` it took when the event happened (newOrderedId), so the event keeps its
 * place in the outbox order among events written meanwhile.
 */
export const recordEvents = async (
  db: Executor,
  events: readonly {
    id?: string;
    tenantId: string;
    type: EventType;
    deviceId?: string | null;
    payload?: Record<string, unknown>;
    nowMs: number;
  }[],
): Promise<void> => {
  for (let i = 0; i < events.length; i += 500) {
    await db
      .insertInto('events')
      .values(
        events.slice(i, i + 500).map((e) => ({
          id: e.id ?? newOrderedId(e.nowMs),
          tenant_id: e.tenantId,
          type: e.type,
          device_id: e.deviceId ?? null,
          payload: JSON.stringify(e.payload ?? {}),
          created_at: e.nowMs,
        })),
      )
      .execute();
  }
};

export const listEvents = async (
  db: Executor,
  tenantId: string,
  opts: { deviceId?: string; limit: number },
): Promise<DomainEvent[]> => {
  let q = db.selectFrom('events').selectAll().where('tenant_id', '=', tenantId);
  if (opts.deviceId) q = q.where('device_id', '=', opts.deviceId);
  const rows = await q.orderBy('id').limit(opts.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type as EventType,
    deviceId: r.device_id,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    createdAt: num(r.created_at),
  }));
};

/**
 * Which of `deviceIds` had an event of `type` at or after `sinceMs`: one query for a page of
 * devices (events_tenant_device_idx; the time bound is a range on the time-ordered ids).
 */
export const devicesWithEventSince = async (
  db: Executor,
  tenantId: string,
  type: EventType,
  deviceIds: readonly string[],
  sinceMs: number,
): Promise<Set<string>> => {
  const out = new Set<string>();
  for (let i = 0; i < deviceIds.length; i += 500) {
    const rows = await db
      .selectFrom('events')
      .select('device_id')
      .distinct()
      .where('tenant_id', '=', tenantId)
      .where('device_id', 'in', deviceIds.slice(i, i + 500))
      .where('id', '>=', orderedIdFloor(sinceMs))
      .where('type', '=', type)
      .execute();
    for (const r of rows) if (r.device_id !== null) out.add(r.device_id);
  }
  return out;
};

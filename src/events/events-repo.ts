import { newOrderedId } from '../core/ids.js';
import { type Executor, num } from '../store/store.js';

/**
 * The outbox: domain events written in the same transaction as the change they describe
 * (DESIGN.md §1). Delivery (webhooks, audit queries) reads from here.
 */
export const eventTypes = [
  'device.authset_pending',
  'device.preauthorized',
  'device.accepted',
  'device.rejected',
  'device.authset_deleted',
  'device.decommissioned',
  'device.token_revoked',
  'artifact.uploaded',
  'artifact.deleted',
  'deployment.created',
  'deployment.aborted',
  'deployment.finished',
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

import { createHash } from 'node:crypto';
import { lockKeyPair } from '../store/conflicts.js';
import type { Executor } from '../store/store.js';

/** The class half of the PostgreSQL advisory lock that serialises the cap check per tenant. */
const PENDING_CAP_LOCK_CLASS = 0x47480001;

/** Serialises the pending-cap checks of one tenant until the transaction ends (see conflicts.ts lockKey). */
export const lockPendingCap = async (tx: Executor, tenantId: string): Promise<void> => {
  const objectId = createHash('sha256').update(tenantId).digest().readInt32BE(0);
  await lockKeyPair(tx, PENDING_CAP_LOCK_CLASS, objectId);
};

/** The tenant's pending auth sets, counted up to `limit` only: the answer costs at most `limit` index entries. */
export const countPendingAuthSets = async (
  tx: Executor,
  tenantId: string,
  limit: number,
): Promise<number> => {
  const row = await tx
    .selectFrom((eb) =>
      eb
        .selectFrom('auth_sets')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('status', '=', 'pending')
        .limit(limit)
        .as('p'),
    )
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

/** When the tenant's last cap event was written, if it was after `sinceMs`. */
export const lastPendingCapEventAt = async (
  tx: Executor,
  tenantId: string,
  sinceMs: number,
): Promise<number | undefined> => {
  // Event ids are time-ordered (UUIDv7, never earlier than created_at): the tenant's events of
  // the interval lie in one range of the (tenant_id, id) index.
  const t = Math.max(0, sinceMs).toString(16).padStart(12, '0');
  const since = `${t.slice(0, 8)}-${t.slice(8, 12)}`;
  const recent = await tx
    .selectFrom('events')
    .select('created_at')
    .where('tenant_id', '=', tenantId)
    .where('id', '>=', since)
    .where('type', '=', 'device.pending_cap_reached')
    .where('created_at', '>', sinceMs)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return recent ? Number(recent.created_at) : undefined;
};

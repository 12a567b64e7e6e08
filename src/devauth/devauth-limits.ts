import type { Logger } from '../core/logger.js';
import { createLru } from '../core/lru.js';
import { recordEvent } from '../events/index.js';
import { createTokenBuckets, sourceKey } from '../limits/index.js';
import type { Executor } from '../store/store.js';
import { devauthErrors } from './devauth-errors.js';
import { countPendingAuthSets, lastPendingCapEventAt, lockPendingCap } from './devauth-repo-limits.js';

export interface NewDeviceLimitSettings {
  /** Auth requests that would add a pending auth set, per source address and minute; 0: off. */
  perAddressPerMinute: number;
  /** The same per tenant; 0: off. */
  perTenantPerMinute: number;
  /** Pending auth sets a tenant may hold; 0: no cap. */
  maxPendingAuthSets: number;
}

/** The cap event is written at most this often per tenant (across processes). */
export const PENDING_CAP_EVENT_INTERVAL_MS = 3_600_000;
/** Tenants whose last cap event time is remembered (one forgotten only costs a read of its events). */
const LAST_NOTICES_KEPT = 10_000;
/** What a device refused at the cap is told; the Mender client retries on its own schedule anyway. */
const PENDING_CAP_RETRY_AFTER_SECONDS = 60;

/**
 * Limits on auth requests from unknown identities or keys (docs/limits.md): the only device
 * requests that write. Only consulted after the request's auth set was not found, so admitted
 * devices never pay for them and a stranger's flood cannot throttle them.
 *
 * - Rates, in memory per process: token buckets per source address and per tenant. A rate is
 *   about cost, and the cap below is the bound that holds across processes.
 * - The cap on pending auth sets per tenant, exact: counted in the transaction that would add
 *   one, under a per-tenant lock (PostgreSQL advisory lock; SQLite transactions hold the write
 *   lock), so concurrent requests in any number of processes cannot overshoot it.
 */
export const createNewDeviceLimits = (deps: {
  settings: NewDeviceLimitSettings;
  logger?: Pick<Logger, 'warn'>;
}) => {
  const { settings } = deps;
  const byAddress = createTokenBuckets({ perMinute: settings.perAddressPerMinute });
  const byTenant = createTokenBuckets({ perMinute: settings.perTenantPerMinute });
  /** Per tenant: when this process last saw the cap event written (by itself or another process). */
  const lastNotice = createLru<string, number>(LAST_NOTICES_KEPT);

  /** Writes the cap event unless one was written within the interval (checked under the tenant lock). */
  const notice = async (tx: Executor, tenantId: string, pending: number, nowMs: number) => {
    const last = lastNotice.get(tenantId);
    if (last !== undefined && nowMs - last < PENDING_CAP_EVENT_INTERVAL_MS && nowMs >= last) return;
    const recentAt = await lastPendingCapEventAt(tx, tenantId, nowMs - PENDING_CAP_EVENT_INTERVAL_MS);
    if (recentAt !== undefined) {
      lastNotice.set(tenantId, recentAt);
      return;
    }
    lastNotice.set(tenantId, nowMs);
    await recordEvent(tx, {
      tenantId,
      type: 'device.pending_cap_reached',
      payload: { max_pending_auth_sets: settings.maxPendingAuthSets, pending_auth_sets: pending },
      nowMs,
    });
    deps.logger?.warn(
      { tenantId, maxPendingAuthSets: settings.maxPendingAuthSets },
      'tenant reached its cap of pending auth sets: new devices are refused until some are accepted, rejected or deleted',
    );
  };

  return {
    /** Before anything is read or written for an unknown auth set: 429 beyond the address's or the tenant's rate. */
    admitRequest(tenantId: string, address: string | undefined, nowMs: number): void {
      const perAddress = byAddress.take(sourceKey(address), nowMs);
      if (perAddress !== null) throw devauthErrors.tooManyNewDevices(perAddress, 'per source address');
      const perTenant = byTenant.take(tenantId, nowMs);
      if (perTenant !== null) throw devauthErrors.tooManyNewDevices(perTenant, 'per tenant');
    },

    /**
     * First thing in the transaction that would add a pending auth set: whether the tenant is
     * below its cap. At the cap it records the cap event (at most once per interval) and the
     * caller refuses with `pendingCapReached()`; the transaction must still commit (the event).
     */
    async hasRoom(tx: Executor, tenantId: string, nowMs: number): Promise<boolean> {
      const cap = settings.maxPendingAuthSets;
      if (cap <= 0) return true;
      await lockPendingCap(tx, tenantId);
      const pending = await countPendingAuthSets(tx, tenantId, cap);
      if (pending < cap) return true;
      await notice(tx, tenantId, pending, nowMs);
      return false;
    },

    pendingCapReached: () => devauthErrors.pendingCapReached(PENDING_CAP_RETRY_AFTER_SECONDS),
  };
};
export type NewDeviceLimits = ReturnType<typeof createNewDeviceLimits>;

import type { Clock } from '../core/clock.js';
import type { Db } from '../store/store.js';
import { renewLeases } from './webhooks-repo-deliveries.js';

/**
 * Keeps the leases of a worker's deliveries in flight (docs/adr/0010-webhook-delivery.md,
 * "Leases"). A lease is short (GATEHOUSE_WEBHOOK_LEASE_MS) so that the deliveries of a process
 * that dies are taken over within seconds; while a request runs, its lease is renewed every
 * third of that, so a slow live request keeps it.
 *
 * A request stops (its signal aborts) as soon as its lease can no longer be vouched for: when a
 * renewal finds it taken over, or when renewals have failed (database unreachable) for so long
 * that the lease could run out before the next one. Another process therefore never sends a
 * device's next event while this one may still be sending the previous one: per-device order
 * holds through takeovers, as long as the processes' clocks agree to well within a lease.
 */
export interface LeaseKeeper {
  /** Tracks a delivery leased until `leaseUntil`; the signal aborts when the lease is lost. */
  hold(id: string, leaseUntil: number): AbortSignal;
  /** Stops tracking it (its result was recorded or dropped). */
  release(id: string): void;
}

export const createLeaseKeeper = (deps: {
  db: Db;
  clock: Clock;
  owner: string;
  leaseMs: number;
  onError: (e: unknown) => void;
}): LeaseKeeper => {
  const { clock, leaseMs } = deps;
  const everyMs = Math.max(1, Math.floor(leaseMs / 3));
  const held = new Map<string, { until: number; lost: AbortController }>();
  let timer: NodeJS.Timeout | undefined;
  let renewing = false;

  /** A lease that may run out before the next renewal is let go, whatever the database says. */
  const letGoExpiring = () => {
    const nowMs = clock.nowMs();
    for (const h of held.values()) if (nowMs >= h.until - everyMs) h.lost.abort(new Error('lease expiring'));
  };

  const renew = async () => {
    renewing = true;
    try {
      const ids = [...held.keys()];
      const nowMs = clock.nowMs();
      const until = nowMs + leaseMs;
      const kept = await renewLeases(deps.db, { ids, owner: deps.owner, leaseUntil: until });
      for (const id of ids) {
        const h = held.get(id);
        if (!h) continue;
        if (kept.has(id)) h.until = until;
        else h.lost.abort(new Error('lease lost'));
      }
    } catch (e) {
      deps.onError(e);
    } finally {
      renewing = false;
    }
  };

  const tick = () => {
    // A renewal still waiting for the database (unreachable?) is not waited for.
    if (renewing) letGoExpiring();
    else void renew().then(letGoExpiring);
  };

  return {
    hold(id, leaseUntil) {
      const lost = new AbortController();
      held.set(id, { until: leaseUntil, lost });
      if (!timer) {
        timer = setInterval(tick, everyMs);
        timer.unref();
      }
      return lost.signal;
    },
    release(id) {
      held.delete(id);
      if (held.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
  };
};

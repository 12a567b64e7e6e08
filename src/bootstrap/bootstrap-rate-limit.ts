import { createFailureGuard, type FailureGuard, type FailurePolicy } from '../limits/index.js';
import type { Store } from '../store/store.js';

export const DAY_MS = 86_400_000;

export interface BootstrapLimits {
  /** Failures of one external id from one source address before that pair is locked; 0: off. */
  maxFailures: number;
  /** Failures from one source address, any external ids, before the address is locked; 0: off. */
  maxFailuresPerAddress: number;
  /** Failures of one external id from all addresses before it counts as under attack; 0: off. */
  maxFailuresPerExternalId: number;
  lockoutSeconds: number;
}

/**
 * Rate limiting of failed bootstrap attempts (docs/adr/0008-bootstrap.md, docs/limits.md): per
 * external id at a source address, per source address, and per external id (which refuses no
 * one by itself but, once locked, makes every address's first failure lock it). In the
 * database, so every process of a scale-out install sees the same counters.
 *
 * Subjects are keyed by the external id alone, not by tenant: Magistrala's device route names no
 * tenant, and one counter across all protocols (plain, secure, v2) stops an attacker from
 * switching between them.
 */
export const createBootstrapGuard = (store: Store, limits: BootstrapLimits): FailureGuard => {
  const policy = (maxFailures: number): FailurePolicy => ({
    maxFailures,
    lockoutMs: limits.lockoutSeconds * 1000,
    maxLockoutMs: DAY_MS,
    forgetAfterMs: DAY_MS,
  });
  return createFailureGuard({
    store,
    scope: 'bootstrap',
    policies: {
      pair: policy(limits.maxFailures),
      source: policy(limits.maxFailuresPerAddress),
      subject: policy(limits.maxFailuresPerExternalId),
    },
  });
};

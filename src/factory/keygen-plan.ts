import { expandTemplate, type IdentityTemplate } from './keygen-template.js';

/**
 * What one keygen run produces, as plain data: built and checked once on the main thread
 * (keygen-validate.ts), then sent to every worker, which derives any device's identity from it
 * by its index alone. So workers need no coordination and the output does not depend on which
 * worker made which key.
 */

export const keyTypes = ['rsa', 'ec', 'ed25519'] as const;
export type KeyType = (typeof keyTypes)[number];

import type { ManifestFormat } from './manifest-read.js';

export { type ManifestFormat, manifestFormats } from './manifest-read.js';

export interface KeygenPlan {
  count: number;
  keyType: KeyType;
  /** RSA modulus length (ignored for other types). */
  rsaBits: number;
  identity: IdentityTemplate[];
  seqStart: number;
  macStart: number | undefined;
  group: string | undefined;
  /** In option order (a CSV gets one column each, in this order). */
  tags: [string, string][];
  format: ManifestFormat;
}

/** Identity attributes of device `index` (0-based), in option order. */
export type DeviceIdentity = [name: string, value: string][];

export const deviceIdentity = (plan: KeygenPlan, index: number): DeviceIdentity => {
  const counters = {
    seq: plan.seqStart + index,
    mac: plan.macStart === undefined ? undefined : plan.macStart + index,
  };
  return plan.identity.map((t) => [t.name, expandTemplate(t.parts, counters)]);
};

/** "RSA-3072", "EC P-256", "Ed25519": how messages name the key type. */
export const keyTypeLabel = (plan: Pick<KeygenPlan, 'keyType' | 'rsaBits'>): string =>
  plan.keyType === 'rsa' ? `RSA-${plan.rsaBits}` : plan.keyType === 'ec' ? 'EC P-256' : 'Ed25519';

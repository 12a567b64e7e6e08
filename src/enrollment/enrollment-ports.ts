import type { LabelsChange } from '../devauth/index.js';
import type { Executor } from '../store/store.js';
import type { Allocate } from '../webhooks/index.js';
import type { BootstrapTemplate } from './enrollment-types.js';

// What enrollment needs of other domains, named for the need; src/wiring.ts hands each domain's
// offer to these.

/** Registered CAs (the pki domain): a group names the CA whose certificates it admits. */
export interface CaDirectory {
  exists(tenantId: string, caId: string): Promise<boolean>;
}

/** Allocation webhooks (the webhooks domain): a group may name one; admission calls it. */
export interface AllocationWebhooks {
  exists(tenantId: string, id: string): Promise<boolean>;
  allocate: Allocate;
}

/** Bootstrap configs of enrolled devices (the bootstrap domain). */
export interface EnrollmentBootstrap {
  /** Checks a group's template (syntax, channels of the tenant); throws a 400 AppError. */
  checkTemplate(tenantId: string, t: BootstrapTemplate): Promise<BootstrapTemplate>;
  /** Links or creates the admitted device's config, inside admission's transaction. */
  provision(
    tx: Executor,
    args: {
      tenantId: string;
      deviceId: string;
      externalId: string;
      template: BootstrapTemplate | null;
      nowMs: number;
    },
  ): Promise<{ outcome: 'existing' | 'linked' | 'created' | 'conflict' | 'none'; configId: string | null }>;
}

/** A device's group and tags as admission sets them, inside its transaction (the inventory domain). */
export interface EnrollmentInventory {
  apply(tx: Executor, change: LabelsChange): Promise<void>;
}

import type { Executor, Store } from '../store/store.js';
import type { Identity } from './identity.js';

export const authSetStatuses = ['pending', 'accepted', 'rejected', 'preauthorized'] as const;
export type AuthSetStatus = (typeof authSetStatuses)[number];

export const deviceStatuses = ['pending', 'accepted', 'rejected', 'preauthorized', 'noauth'] as const;
export type DeviceStatus = (typeof deviceStatuses)[number];

export interface Device {
  id: string;
  tenantId: string;
  identity: Identity;
  identityText: string;
  identitySha256: string;
  status: DeviceStatus;
  createdAt: number;
  updatedAt: number;
  checkInAt: number | null;
}

export interface AuthSet {
  id: string;
  tenantId: string;
  deviceId: string;
  pubkey: string;
  pubkeySha256: string;
  keyType: string;
  status: AuthSetStatus;
  createdAt: number;
  updatedAt: number;
}

export interface DeviceWithAuthSets extends Device {
  authSets: AuthSet[];
}

/** Who is behind a valid device token. */
export interface DevicePrincipal {
  tenantId: string;
  deviceId: string;
  authSetId: string;
  tokenId: string;
}

const WEIGHT: Record<AuthSetStatus, number> = { accepted: 4, preauthorized: 3, pending: 2, rejected: 1 };

/**
 * A device's status is derived from its auth sets, the highest-weighted one winning
 * (accepted > preauthorized > pending > rejected; no auth sets = noauth), as in deviceauth.
 */
export const deriveDeviceStatus = (statuses: readonly AuthSetStatus[]): DeviceStatus => {
  let best: DeviceStatus = 'noauth';
  let bestWeight = 0;
  for (const s of statuses) {
    if (WEIGHT[s] > bestWeight) {
      best = s;
      bestWeight = WEIGHT[s];
    }
  }
  return best;
};

/**
 * What other domains learn of device changes, inside devauth's own transaction (so inventory
 * and deployments change in the same transaction as the device; DESIGN.md §1). Wired in
 * src/wiring.ts, which keeps devauth free of imports of those domains.
 */
export interface DeviceHooks {
  /** After a device was created or any of its auth sets changed; `device.status` is current. */
  deviceChanged(tx: Executor, device: Device, nowMs: number): Promise<void>;
  /** Before a decommissioned device's rows are deleted. */
  deviceRemoved(tx: Executor, device: Device, nowMs: number): Promise<void>;
}

/** Runs each domain's hooks in turn, in the same transaction. */
export const combineDeviceHooks = (...all: DeviceHooks[]): DeviceHooks => ({
  async deviceChanged(tx, device, nowMs) {
    for (const h of all) await h.deviceChanged(tx, device, nowMs);
  },
  async deviceRemoved(tx, device, nowMs) {
    for (const h of all) await h.deviceRemoved(tx, device, nowMs);
  },
});

export const noDeviceHooks: DeviceHooks = {
  deviceChanged: async () => {},
  deviceRemoved: async () => {},
};

/** What devauth's transitions need besides the transaction. */
export interface DevauthContext {
  store: Store;
  hooks: DeviceHooks;
}

import type { RawBuilder } from 'kysely';
import type { Executor, Store } from '../store/store.js';
import type { TenantsService } from '../tenants/index.js';
import type { Identity } from './identity.js';

/** Auth sets a device may accumulate; beyond this, requests with yet another key are refused unrecorded. */
export const MAX_AUTH_SETS_PER_DEVICE = 20;

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
  /** Where a device created by a manifest import came from (the import, its line, the signing factory). */
  origin?: { importId: string; importLine: number; factoryId: string | null };
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

/**
 * Why a device waits for a decision (management API `pending_reason`): an unknown identity asking
 * for the first time, a known device presenting a new key, or (first) a device whose key was
 * presented under another identity recently.
 */
export const pendingReasons = ['new_device', 'new_key', 'key_collision'] as const;
export type PendingReason = (typeof pendingReasons)[number];

export interface DeviceWithAuthSets extends Device {
  authSets: AuthSet[];
  /** Set when the device has a pending auth set. */
  pendingReason?: PendingReason;
}

/** Which devices a management list, count or bulk action selects; every part narrows. */
export interface DeviceFilter {
  statuses?: DeviceStatus[];
  ids?: string[];
  /** Device id prefix, auth-set fingerprint prefix, or a substring of an identity or inventory value. */
  q?: string;
  /** Inventory (static) group. */
  group?: string;
  /** Inventory tag: by name, or by name and value. */
  tag?: { name: string; value?: string };
}

/**
 * SELECTs of device ids (one column, `device_id`) that the inventory domain provides for device
 * searches (wired in src/wiring.ts, so devauth imports no other domain). Each holds ids of the
 * tenant's devices only.
 */
export interface DeviceInventorySql {
  /**
   * A SELECT of the ids of the devices one of whose identity or inventory values starts with
   * `text`, case-insensitively: index ranges, whatever the tenant's size.
   */
  valuePrefixIds(tenantId: string, text: string): RawBuilder<unknown>;
  /** The same for values that contain `text` anywhere: reads all the tenant's values. */
  valueSubstringIds(tenantId: string, text: string): RawBuilder<unknown>;
  /** The devices in the static group, each once. */
  groupIds(tenantId: string, group: string): RawBuilder<unknown>;
  /** A SELECT of `n`: how many devices are in the group (with one of `statuses`), from kept counts. */
  groupCount(
    tenantId: string,
    group: string,
    statuses?: readonly string[],
  ): RawBuilder<{ n: number | string }>;
  /** The devices with the tag, each once. */
  tagIds(tenantId: string, name: string, value?: string): RawBuilder<unknown>;
}

/**
 * The inventory labels (static group, tags) a bulk accept gives each device, in the accept's
 * transaction; provided by the inventory domain through src/wiring.ts.
 */
/** The static group and tags a device gets as it is accepted (inventory applies them). */
export interface LabelsChange {
  tenantId: string;
  deviceId: string;
  group: string | null;
  tags: Record<string, string>;
  nowMs: number;
}

export interface DeviceLabels {
  /** Throws a 400 AppError for labels no device can take. */
  check(group: string | null, tags: Record<string, string>): void;
  apply(tx: Executor, args: LabelsChange): Promise<void>;
}

/**
 * Who made a management change, recorded in the payload of its events (audit log, webhooks):
 * the user behind the token, and whether it was a login session or a personal access token.
 */
export interface Actor {
  type: 'user';
  id: string;
  email: string;
  token_kind: 'session' | 'pat';
}

/** Extra event payload of a management change: who, and whether it was part of a bulk action. */
export interface ChangeTrail {
  actor?: Actor;
  bulk?: boolean;
}

/** The payload fields a trail adds (none for device-initiated changes). */
export const trailPayload = (trail: ChangeTrail | undefined): Record<string, unknown> => ({
  ...(trail?.actor ? { actor: trail.actor } : {}),
  ...(trail?.bulk ? { bulk: true } : {}),
});

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
 * and deployments change in the same transaction as the device;
 * docs/principles.md#one-process-one-transaction). Wired in src/wiring.ts, which keeps devauth
 * free of imports of those domains.
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

/**
 * A client certificate presented with an auth request, as the PKI verified it against the
 * tenant's CAs (structurally pki's ClientCertVerification; devauth does not import pki).
 */
export type PresentedCertificate =
  | {
      ok: true;
      tenantId: string;
      caId: string;
      leaf: {
        subject: string;
        cn: string | null;
        serial: string;
        fingerprint: string;
        notAfter: number;
        publicKeyPem: string;
        pem: string;
      };
    }
  | { ok: false; reason: string; detail?: string };

export type VerifiedCertificate = Extract<PresentedCertificate, { ok: true }>;

/**
 * Certificate-based admission (issue 5, docs/adr/0011-certificate-admission.md), implemented by
 * the enrollment domain and wired in src/wiring.ts. Devauth owns the device and auth-set
 * transaction; enrollment decides who the certificate says the device is, whether it may in,
 * and what it gets.
 */
export interface CertificateAdmission {
  /** Reads the enrollment that covers the certificate; throws a 401 AppError to refuse. */
  resolve(tenantId: string, certificate: VerifiedCertificate): Promise<CertificateEnrollment>;
}

export interface CertificateEnrollment {
  /** The device's identity, derived from the certificate. */
  identity: Identity;
  registrationId: string;
  /** Records the refusal (audit event) and throws the 401. */
  refuse(reason: string): Promise<never>;
  /** For a device not accepted yet: the allocation decision (may call a webhook); throws 401 to deny. */
  allocate(ctx: { deviceId: string | null; requestIdentity: Identity }): Promise<CertificateAllocation>;
}

export interface CertificateAllocation {
  /** Inside devauth's transaction, right after the auth set was accepted: group, tags, config, event. */
  apply(tx: Executor, args: { device: Device; authSetId: string; nowMs: number }): Promise<void>;
}

/** The tenant behind a tenant token, for devices that present one (the tenants domain offers it). */
export type TenantTokens = Pick<TenantsService, 'resolveTenantToken' | 'refusedTenantToken'>;

/**
 * The device-authentication and inventory routes the devices screens use, their wire shapes
 * (docs/api/openapi.json) and the query keys they are cached under. Keys start with 'devices',
 * 'device' or 'counts' so live device events refresh them (shared/events.tsx).
 */

export const DEVAUTH = '/api/management/v2/devauth';
export const DEVICES_PATH = `${DEVAUTH}/devices`;
export const COUNT_PATH = `${DEVAUTH}/devices/count`;
export const BULK_PATH = `${DEVAUTH}/devices/bulk`;
export const INVENTORY = '/api/management/v1/inventory';
export const DEPLOYMENTS = '/api/management/v1/deployments/deployments';
export const AUDIT_PATH = '/api/management/v1/audit/events';
export const REGISTRATIONS_PATH = '/api/management/v1/enrollment/registrations';

export const STATUSES = ['pending', 'accepted', 'rejected', 'preauthorized', 'noauth'] as const;
export type DeviceStatus = (typeof STATUSES)[number];
export const isStatus = (s: string | null): s is DeviceStatus =>
  s !== null && (STATUSES as readonly string[]).includes(s);

export type PendingReason = 'new_device' | 'new_key' | 'key_collision';

export interface AuthSet {
  id: string;
  identity_data: Record<string, unknown>;
  pubkey: string;
  ts: string;
  status: 'pending' | 'accepted' | 'rejected' | 'preauthorized';
  /** Lowercase hex SHA-256 of the key's SPKI DER (absent on servers that predate it). */
  fingerprint?: string;
  key_type?: string;
}

export interface Device {
  id: string;
  identity_data: Record<string, unknown>;
  status: DeviceStatus;
  decommissioning: boolean;
  created_ts: string;
  updated_ts: string;
  check_in_time?: string;
  auth_sets: AuthSet[];
  pending_reason?: PendingReason;
}

export interface DeviceFilter {
  status: DeviceStatus;
  q?: string;
  group?: string;
  tag?: string;
}

export type BulkAction = 'accept' | 'reject' | 'dismiss' | 'decommission';

export interface BulkRequest {
  action: BulkAction;
  device_ids?: string[];
  filter?: DeviceFilter;
  group?: string;
  tags?: { name: string; value: string }[];
}

export interface BulkResult {
  results: { device_id: string; ok: boolean; status?: string; error?: string; code?: string }[];
  succeeded: number;
  failed: number;
  truncated: boolean;
}

export interface InventoryAttribute {
  name: string;
  value: unknown;
  scope: string;
  description?: string;
}

export interface InventoryDevice {
  id: string;
  attributes: InventoryAttribute[];
  updated_ts: string;
}

export interface AuditEvent {
  id: string;
  type: string;
  tenant_id: string;
  device_id: string | null;
  created_at: string;
  data: Record<string, unknown> & { actor?: { type?: string; id?: string; email?: string } };
}

export interface Registration {
  device_id: string;
  registration_id: string;
  ca_id: string;
  enrollment_group_id: string | null;
  individual_enrollment_id: string | null;
  certificate: { subject: string; serial: string; fingerprint: string; not_after: string };
  created_at: string;
  updated_at: string;
}

export const devicePath = (id: string) => `${DEVICES_PATH}/${encodeURIComponent(id)}`;
export const authSetPath = (id: string, aid: string) => `${devicePath(id)}/auth/${encodeURIComponent(aid)}`;
export const inventoryPath = (id: string) => `${INVENTORY}/devices/${encodeURIComponent(id)}`;

/** Query keys (the first element decides which live events refresh them). */
export const keys = {
  list: (f: DeviceFilter, page: number, perPage: number) => ['devices', 'list', f, page, perPage] as const,
  count: (status: DeviceStatus) => ['counts', status] as const,
  device: (id: string) => ['device', id] as const,
  inventory: (id: string) => ['device', id, 'inventory'] as const,
  audit: (id: string) => ['device', id, 'audit'] as const,
  registration: (id: string) => ['device', id, 'registration'] as const,
  deployments: (id: string) => ['deployments', 'device', id] as const,
  bootstrap: (id: string) => ['bootstrap', 'device', id] as const,
  groups: ['devices', 'groups'] as const,
};

/** The auth set a device is shown by: the pending one on the pending tab, else the admitted one. */
export const primaryAuthSet = (d: Device): AuthSet | undefined => {
  const newest = [...d.auth_sets].sort((a, b) => b.ts.localeCompare(a.ts));
  const order: AuthSet['status'][] =
    d.status === 'pending'
      ? ['pending', 'accepted', 'preauthorized', 'rejected']
      : ['accepted', 'preauthorized', 'pending', 'rejected'];
  for (const s of order) {
    const hit = newest.find((a) => a.status === s);
    if (hit) return hit;
  }
  return newest[0];
};

/** The newest pending auth set, the one accept/reject act on from the list. */
export const pendingAuthSet = (d: Device): AuthSet | undefined =>
  [...d.auth_sets].filter((a) => a.status === 'pending').sort((a, b) => b.ts.localeCompare(a.ts))[0];

export const PENDING_REASON_TEXT: Record<PendingReason, string> = {
  new_device: 'New device',
  new_key: 'New key for a known device (rotation)',
  key_collision: 'Key presented under another identity',
};

export const STATUS_COLOR: Record<string, string> = {
  pending: 'orange',
  accepted: 'green',
  rejected: 'red',
  preauthorized: 'blue',
  noauth: 'gray',
};

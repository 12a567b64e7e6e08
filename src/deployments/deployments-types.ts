import type { Executor } from '../store/store.js';

/**
 * Per-device deployment statuses, as on the wire
 * (docs/compat/mender-management.md#device-deployment-statuses).
 */
export const deviceDeploymentStatuses = [
  'pending',
  'downloading',
  'pause_before_installing',
  'installing',
  'pause_before_rebooting',
  'rebooting',
  'pause_before_committing',
  'success',
  'failure',
  'noartifact',
  'already-installed',
  'aborted',
  'decommissioned',
] as const;
export type DeviceDeploymentStatus = (typeof deviceDeploymentStatuses)[number];

export const activeStatuses: readonly DeviceDeploymentStatus[] = [
  'pending',
  'downloading',
  'pause_before_installing',
  'installing',
  'pause_before_rebooting',
  'rebooting',
  'pause_before_committing',
];
export const isActiveStatus = (s: DeviceDeploymentStatus): boolean => activeStatuses.includes(s);

/** What a device may report about itself; the other statuses are set by the server. */
export const deviceReportableStatuses: readonly DeviceDeploymentStatus[] = [
  'downloading',
  'pause_before_installing',
  'installing',
  'pause_before_rebooting',
  'rebooting',
  'pause_before_committing',
  'success',
  'failure',
  'already-installed',
];

export type DeploymentStatus = 'pending' | 'inprogress' | 'finished';

export interface Artifact {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  deviceTypes: string[];
  info: { format: string; version: number };
  signed: boolean;
  updates: {
    typeInfo: { type: string | null };
    files: { name: string; checksum: string; size: number; date: string }[];
    metadata: Record<string, unknown>;
  }[];
  provides: Record<string, string>;
  depends: Record<string, string[]>;
  clearsProvides: string[];
  size: number;
  blobKey: string;
  createdAt: number;
  modifiedAt: number;
}

export interface Deployment {
  id: string;
  tenantId: string;
  name: string;
  artifactName: string;
  status: DeploymentStatus;
  forceInstallation: boolean;
  maxDevices: number;
  groups: string[];
  constructorSha256: string;
  createdAt: number;
  finishedAt: number | null;
  /** Bytes of the artifacts handed to its devices, each time one is handed out (Mender's total_size). */
  totalSize: number;
}

export interface DeviceDeployment {
  deploymentId: string;
  deviceId: string;
  tenantId: string;
  status: DeviceDeploymentStatus;
  substate: string | null;
  isActive: boolean;
  artifactId: string | null;
  provides: Record<string, string> | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  logAvailable: boolean;
}

/** Accepted devices of a tenant, optionally of one static group (the inventory domain offers it). */
export interface AcceptedDevices {
  list(tenantId: string, group?: string): Promise<string[]>;
}

/**
 * Which of these ids are devices of the tenant, held until the transaction ends so that a
 * concurrent decommission sees the deployment's rows (the devauth domain offers it).
 */
export interface DeviceLocks {
  lockTenantDevices(tx: Executor, tenantId: string, ids: readonly string[]): Promise<Set<string>>;
}

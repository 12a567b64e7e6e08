import type { Actor } from '../devauth/index.js';
import type { ManifestFormat } from './manifest-read.js';
import type { FactoryKeyType } from './manifest-signature.js';

export interface Factory {
  id: string;
  tenantId: string;
  name: string;
  publicKeyPem: string;
  fingerprint: string;
  keyType: FactoryKeyType;
  disabledAt: number | null;
  createdAt: number;
}

export const importStatuses = ['queued', 'running', 'succeeded', 'failed'] as const;
export type ImportStatus = (typeof importStatuses)[number];

export interface ImportCounts {
  rowsDone: number;
  created: number;
  unchanged: number;
  conflicts: number;
  invalid: number;
}

export interface DeviceImport extends ImportCounts {
  id: string;
  tenantId: string;
  status: ImportStatus;
  format: ManifestFormat;
  manifestSha256: string;
  manifestBytes: number;
  linesTotal: number;
  factoryId: string | null;
  blobKey: string | null;
  /** Every manifest line up to this one is committed. */
  doneLine: number;
  error: string | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** The user who staged the import through the management API; null from the CLI. */
  createdBy: Actor | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

export const problemOutcomes = ['conflict', 'invalid'] as const;
export type ProblemOutcome = (typeof problemOutcomes)[number];

export interface ImportProblem {
  line: number;
  outcome: ProblemOutcome;
  reason: string;
  deviceId: string | null;
}

/**
 * Factory keys and manifest imports (docs/factory-manifests.md): the routes, their wire shapes
 * and the query keys they are cached under. Imports make no live events: an unfinished import is
 * polled until it ends.
 */
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, apiPage, apiRaw } from '../shared/api';
import type { ManifestFormat } from './manifest-files';

export const FACTORIES_PATH = '/api/management/v2/devauth/factories';
export const IMPORTS_PATH = '/api/management/v2/devauth/imports';
const SIGNATURE_HEADER = 'x-gatehouse-manifest-signature';

export const importPath = (id: string) => `${IMPORTS_PATH}/${encodeURIComponent(id)}`;
export const factoryPath = (id: string) => `${FACTORIES_PATH}/${encodeURIComponent(id)}`;

export interface Factory {
  id: string;
  name: string;
  key_type: string;
  fingerprint: string;
  public_key: string;
  enabled: boolean;
  created_ts: string;
  disabled_ts?: string;
}

export interface ImportCounts {
  rows: number;
  created: number;
  unchanged: number;
  conflicts: number;
  invalid: number;
}

export type ImportStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface DeviceImport {
  id: string;
  status: ImportStatus | string;
  format: string;
  manifest_sha256: string;
  manifest_bytes: number;
  lines_total: number;
  done_line: number;
  signed: boolean;
  factory_id?: string;
  counts: ImportCounts;
  error?: string;
  created_ts: string;
  updated_ts: string;
  finished_ts?: string;
}

export type ProblemOutcome = 'conflict' | 'invalid';

export interface ImportProblem {
  line: number;
  outcome: ProblemOutcome | string;
  device_id?: string;
  reason?: string;
}

export interface DryRun {
  dry_run: true;
  manifest_sha256: string;
  lines_total: number;
  signed: boolean;
  factory_id?: string;
  counts: ImportCounts;
  problems: ImportProblem[];
  problems_truncated: boolean;
  error?: string;
}

export const isLive = (i: Pick<DeviceImport, 'status'>) => i.status === 'queued' || i.status === 'running';

export const keys = {
  factories: ['factories'] as const,
  list: (page: number, perPage: number) => ['imports', 'list', page, perPage] as const,
  one: (id: string) => ['imports', 'one', id] as const,
  problems: (id: string, outcome: string, afterLine: number, version: string) =>
    ['imports', 'problems', id, outcome, afterLine, version] as const,
};

/** How often an unfinished import is asked for its progress. */
export const POLL_MS = 1000;

export const useFactories = () =>
  useQuery({ queryKey: keys.factories, queryFn: () => api<Factory[]>(FACTORIES_PATH) });

/** Factory names by id, for "signed by" (a disabled factory keeps its name). */
export const useFactoryNames = (): Record<string, string> => {
  const factories = useFactories();
  return Object.fromEntries((factories.data ?? []).map((f) => [f.id, f.name]));
};

/** One import, polled while unfinished; when it ends, the device lists are stale. */
export const useImport = (id: string) => {
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.one(id),
    queryFn: async () => {
      const job = await api<DeviceImport>(importPath(id));
      const before = qc.getQueryData<DeviceImport>(keys.one(id));
      if (before && isLive(before) && !isLive(job))
        for (const key of [['devices'], ['device'], ['counts']]) void qc.invalidateQueries({ queryKey: key });
      return job;
    },
    refetchInterval: (q) => (q.state.data && isLive(q.state.data) ? POLL_MS : false),
  });
};

export const useImports = (page: number, perPage: number) =>
  useQuery({
    queryKey: keys.list(page, perPage),
    queryFn: () => apiPage<DeviceImport>(IMPORTS_PATH, { page, per_page: perPage }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some(isLive) ? POLL_MS * 2 : false),
  });

export interface ManifestUpload {
  file: Blob;
  format: ManifestFormat;
  /** The .sig file's base64, or null for an unsigned manifest. */
  signature: string | null;
  allowUnsigned: boolean;
}

const MEDIA_TYPE: Record<ManifestFormat, string> = { jsonl: 'application/jsonl', csv: 'text/csv' };

const sendManifest = async <T>(m: ManifestUpload, dryRun: boolean): Promise<T> =>
  (
    await apiRaw<T>(IMPORTS_PATH, {
      method: 'POST',
      query: { dry_run: dryRun, allow_unsigned: m.allowUnsigned && !m.signature, format: m.format },
      headers: {
        'Content-Type': MEDIA_TYPE[m.format],
        ...(m.signature ? { [SIGNATURE_HEADER]: m.signature } : {}),
      },
      body: m.file,
    })
  ).data;

/** Decides every row as the import would, changing nothing. */
export const dryRunManifest = (m: ManifestUpload) => sendManifest<DryRun>(m, true);

/** Queues the import (the server's import worker runs it); answers the queued import. */
export const startImport = (m: ManifestUpload) => sendManifest<DeviceImport>(m, false);

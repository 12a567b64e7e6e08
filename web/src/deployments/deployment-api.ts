import { useQuery } from '@tanstack/react-query';
import { api, apiPage } from '../shared/api';

export const DEPLOYMENTS_PATH = '/api/management/v1/deployments/deployments';

/** Every per-device status Mender knows, in the order a deployment moves through them. */
export const DEVICE_STATUSES = [
  'pending',
  'downloading',
  'pause_before_installing',
  'installing',
  'pause_before_rebooting',
  'rebooting',
  'pause_before_committing',
  'success',
  'already-installed',
  'noartifact',
  'failure',
  'aborted',
  'decommissioned',
] as const;

export type DeviceStatus = (typeof DEVICE_STATUSES)[number];
export type Statistics = Record<DeviceStatus, number>;

export interface Deployment {
  id: string;
  name: string;
  artifact_name: string;
  created: string;
  finished?: string;
  status: 'pending' | 'inprogress' | 'finished';
  /** Devices that have started (Mender's meaning); max_devices is every device of it. */
  device_count: number;
  max_devices: number;
  artifacts: string[];
  groups?: string[];
  type: string;
  force_installation: boolean;
  statistics: { status: Statistics; total_size: number };
}

export interface DeviceDeployment {
  id: string;
  status: DeviceStatus;
  created: string;
  started?: string;
  finished?: string;
  substate?: string;
  device_type?: string;
  artifact_id?: string;
  log: boolean;
}

export const deploymentPath = (id: string) => `${DEPLOYMENTS_PATH}/${encodeURIComponent(id)}`;

export const useDeploymentsPage = (status: string, search: string, page: number, perPage: number) =>
  useQuery({
    queryKey: ['deployments', 'list', status, search, page, perPage],
    queryFn: () =>
      apiPage<Deployment>(DEPLOYMENTS_PATH, {
        status: status === 'all' ? undefined : status,
        search: search.trim(),
        page,
        per_page: perPage,
        sort: 'desc',
      }),
    placeholderData: (prev) => prev,
    // Progress of devices makes no event of its own: poll while something shown is under way.
    refetchInterval: (q) => (q.state.data?.items.some((d) => d.status !== 'finished') ? 5000 : false),
  });

/** Refetched every 2 s while unfinished: not every per-device change makes an event. */
export const useDeployment = (id: string) =>
  useQuery({
    queryKey: ['deployment', id],
    queryFn: () => api<Deployment>(deploymentPath(id)),
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'finished' ? 2000 : false),
  });

/**
 * The devices of a deployment; `version` (the deployment's status and counts) is part of the key,
 * so the list is fetched again whenever the deployment's statistics change, finishing included.
 */
export const useDeploymentDevices = (
  id: string,
  live: boolean,
  version: string,
  page: number,
  perPage: number,
) =>
  useQuery({
    queryKey: ['deployment', id, 'devices', page, perPage, version],
    queryFn: () =>
      apiPage<DeviceDeployment>(`${deploymentPath(id)}/devices/list`, { page, per_page: perPage }),
    refetchInterval: live ? 2000 : false,
    placeholderData: (prev) => prev,
  });

/** Which statuses count as finished for a device (the rest are still under way). */
export const FINISHED_STATUSES: ReadonlySet<string> = new Set([
  'success',
  'already-installed',
  'noartifact',
  'failure',
  'aborted',
  'decommissioned',
]);

export const STATUS_COLORS: Record<DeviceStatus, string> = {
  pending: 'gray.4',
  downloading: 'blue.4',
  pause_before_installing: 'yellow.5',
  installing: 'blue.6',
  pause_before_rebooting: 'yellow.6',
  rebooting: 'indigo.6',
  pause_before_committing: 'yellow.7',
  success: 'green.6',
  'already-installed': 'teal.5',
  noartifact: 'gray.6',
  failure: 'red.6',
  aborted: 'orange.6',
  decommissioned: 'dark.3',
};

export const statusLabel = (s: string): string => s.replaceAll('_', ' ');

export const DEPLOYMENT_STATUS_LABELS: Record<Deployment['status'], string> = {
  pending: 'pending',
  inprogress: 'in progress',
  finished: 'finished',
};

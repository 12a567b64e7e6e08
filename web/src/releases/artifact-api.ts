import { useQuery } from '@tanstack/react-query';
import { api, apiPage } from '../shared/api';

export const ARTIFACTS_PATH = '/api/management/v1/deployments/artifacts';
export const RELEASES_PATH = '/api/management/v1/deployments/deployments/releases';

export interface ArtifactFile {
  name: string;
  checksum: string;
  size: number;
  date: string;
}

export interface ArtifactUpdate {
  type_info: { type: string | null };
  files: ArtifactFile[];
  metadata: Record<string, unknown>;
}

export interface Artifact {
  id: string;
  name: string;
  description: string;
  device_types_compatible: string[];
  info: { format: string; version: number };
  signed: boolean;
  updates: ArtifactUpdate[];
  artifact_provides: Record<string, unknown>;
  artifact_depends: Record<string, unknown>;
  clears_artifact_provides: string[];
  size: number;
  modified: string;
}

export interface Release {
  name: string;
  artifacts: Artifact[];
}

export interface ArtifactFilter {
  name: string;
  deviceType: string;
  sort: 'name:asc' | 'modified:desc';
}

/** One page of artifacts (query keys under 'artifacts' go stale on artifact events). */
export const useArtifactsPage = (filter: ArtifactFilter, page: number, perPage: number) =>
  useQuery({
    queryKey: ['artifacts', 'list', filter, page, perPage],
    queryFn: () =>
      apiPage<Artifact>(`${ARTIFACTS_PATH}/list`, {
        name: filter.name.trim(),
        device_type: filter.deviceType.trim(),
        sort: filter.sort,
        page,
        per_page: perPage,
      }),
    placeholderData: (prev) => prev,
  });

export const useArtifact = (id: string) =>
  useQuery({
    queryKey: ['artifacts', 'one', id],
    queryFn: () => api<Artifact>(`${ARTIFACTS_PATH}/${encodeURIComponent(id)}`),
  });

/** Every release (artifacts grouped by name), for pickers. */
export const useReleases = () =>
  useQuery({
    queryKey: ['releases'],
    queryFn: () => api<Release[]>(RELEASES_PATH),
  });

/** Artifacts in order with the position of each in its release group (the list is sorted by name). */
export const groupByRelease = (artifacts: Artifact[]) => {
  const counts = new Map<string, number>();
  for (const a of artifacts) counts.set(a.name, (counts.get(a.name) ?? 0) + 1);
  return artifacts.map((a, i) => ({
    artifact: a,
    first: i === 0 || artifacts[i - 1]?.name !== a.name,
    groupSize: counts.get(a.name) ?? 1,
  }));
};

import type { Artifact } from './deployments-types.js';

/**
 * Whether a device with these provides can install an artifact: every depends key must be
 * provided with one of the listed values (device_type, artifact_name, artifact_group and any
 * payload depends such as `rootfs-image.version`). The Mender server only checks device_type and
 * leaves the rest to the client, which then fails after downloading; we choose up front.
 */
export const dependsSatisfied = (
  artifact: Pick<Artifact, 'depends' | 'deviceTypes'>,
  provides: Record<string, string>,
) => {
  if (!artifact.deviceTypes.includes(provides.device_type ?? '')) return false;
  return Object.entries(artifact.depends).every(([key, values]) => {
    if (values.length === 0) return true;
    const provided = provides[key];
    return provided !== undefined && values.includes(provided);
  });
};

/** The artifact a device should get among those of one name: compatible, smallest first. */
export const chooseArtifact = (
  candidates: Artifact[],
  provides: Record<string, string>,
): Artifact | undefined =>
  [...candidates]
    .sort((a, b) => a.size - b.size || (a.id < b.id ? -1 : 1))
    .find((a) => dependsSatisfied(a, provides));

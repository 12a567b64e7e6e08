import { Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import type { DeploymentView } from './deployments-service-mgmt.js';
import { type Artifact, type DeviceDeployment, deviceDeploymentStatuses } from './deployments-types.js';

// Mender's wire shapes for deployments (docs/compat/mender-management.md#deployments) live only here.

const Obj = Type.Object({}, { additionalProperties: true });

export const ArtifactWire = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    description: Type.String(),
    device_types_compatible: Type.Array(Type.String()),
    info: Type.Object({ format: Type.String(), version: Type.Integer() }),
    signed: Type.Boolean(),
    updates: Type.Array(
      Type.Object({
        type_info: Type.Object({ type: Type.Union([Type.String(), Type.Null()]) }),
        files: Type.Array(
          Type.Object({
            name: Type.String(),
            checksum: Type.String(),
            size: Type.Integer(),
            date: Type.String(),
          }),
        ),
        metadata: Obj,
        meta_data: Type.Array(Obj, { description: 'legacy [{Key, Value}] form that mender-cli decodes' }),
      }),
    ),
    artifact_provides: Obj,
    artifact_depends: Obj,
    clears_artifact_provides: Type.Array(Type.String()),
    size: Type.Integer(),
    modified: Type.String(),
  },
  { $id: 'Artifact' },
);

export const artifactToWire = (a: Artifact) => ({
  id: a.id,
  name: a.name,
  description: a.description,
  device_types_compatible: a.deviceTypes,
  info: { format: a.info.format, version: a.info.version },
  signed: a.signed,
  updates: a.updates.map((u) => ({
    type_info: { type: u.typeInfo.type },
    files: u.files,
    metadata: u.metadata,
    meta_data: Object.entries(u.metadata).map(([Key, Value]) => ({ Key, Value })),
  })),
  artifact_provides: a.provides,
  artifact_depends: a.depends,
  clears_artifact_provides: a.clearsProvides,
  size: a.size,
  modified: toRfc3339(a.modifiedAt),
});

const StatusCounts = Type.Object(
  Object.fromEntries(deviceDeploymentStatuses.map((s) => [s, Type.Integer()])) as Record<
    (typeof deviceDeploymentStatuses)[number],
    ReturnType<typeof Type.Integer>
  >,
);

export const fullStatistics = (stats: Partial<Record<(typeof deviceDeploymentStatuses)[number], number>>) =>
  Object.fromEntries(deviceDeploymentStatuses.map((s) => [s, stats[s] ?? 0])) as Record<
    (typeof deviceDeploymentStatuses)[number],
    number
  >;

export const StatisticsWire = StatusCounts;

export const DeploymentWire = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    artifact_name: Type.String(),
    created: Type.String(),
    finished: Type.Optional(Type.String()),
    status: Type.Enum(['pending', 'inprogress', 'finished']),
    device_count: Type.Integer(),
    max_devices: Type.Integer(),
    artifacts: Type.Array(Type.String()),
    groups: Type.Optional(Type.Array(Type.String())),
    type: Type.String(),
    force_installation: Type.Boolean(),
    statistics: Type.Object({
      status: StatusCounts,
      total_size: Type.Integer({
        description: 'bytes of the artifacts handed to its devices, each time one is handed out',
      }),
    }),
  },
  { $id: 'Deployment' },
);

export const deploymentToWire = (d: DeploymentView) => {
  const stats = fullStatistics(d.statistics);
  return {
    id: d.id,
    name: d.name,
    artifact_name: d.artifactName,
    created: toRfc3339(d.createdAt),
    ...(d.finishedAt !== null ? { finished: toRfc3339(d.finishedAt) } : {}),
    status: d.status,
    device_count: d.maxDevices - stats.pending,
    max_devices: d.maxDevices,
    artifacts: d.artifactIds,
    ...(d.groups.length > 0 ? { groups: d.groups } : {}),
    type: 'software',
    force_installation: d.forceInstallation,
    statistics: { status: stats, total_size: d.totalSize },
  };
};

/**
 * The artifact a device was given (Mender's DeviceWithImage `image`): the artifact as it is now;
 * only `id` and `name` once it has been deleted.
 */
export const ImageWire = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    meta: Type.Optional(Type.Object({ description: Type.String() })),
    meta_artifact: Type.Optional(
      Type.Object({
        name: Type.String(),
        device_types_compatible: ArtifactWire.properties.device_types_compatible,
        info: ArtifactWire.properties.info,
        signed: Type.Boolean(),
        updates: ArtifactWire.properties.updates,
        artifact_provides: Obj,
        artifact_depends: Obj,
        clears_artifact_provides: Type.Array(Type.String()),
      }),
    ),
    size: Type.Optional(Type.Integer({ description: 'bytes' })),
    modified: Type.Optional(Type.String()),
  },
  { description: 'the artifact the device was given' },
);

export const imageToWire = (artifactId: string, artifact: Artifact | undefined, name: string) => {
  if (!artifact) return { id: artifactId, name };
  const a = artifactToWire(artifact);
  return {
    id: a.id,
    name: a.name,
    meta: { description: a.description },
    meta_artifact: {
      name: a.name,
      device_types_compatible: a.device_types_compatible,
      info: a.info,
      signed: a.signed,
      updates: a.updates,
      artifact_provides: a.artifact_provides,
      artifact_depends: a.artifact_depends,
      clears_artifact_provides: a.clears_artifact_provides,
    },
    size: a.size,
    modified: a.modified,
  };
};

export const DeviceDeploymentWire = Type.Object({
  id: Type.String({ description: 'device id' }),
  status: Type.Enum([...deviceDeploymentStatuses]),
  created: Type.String(),
  started: Type.Optional(Type.String()),
  finished: Type.Optional(Type.String()),
  substate: Type.Optional(Type.String()),
  device_type: Type.Optional(Type.String()),
  artifact_id: Type.Optional(Type.String()),
  log: Type.Boolean(),
  image: Type.Optional(ImageWire),
});

/** A device of a deployment; `image` once it was given an artifact (artifactName: the deployment's). */
export const deviceDeploymentToWire = (
  d: DeviceDeployment,
  image?: { artifact: Artifact | undefined; artifactName: string },
) => ({
  id: d.deviceId,
  status: d.status,
  created: toRfc3339(d.createdAt),
  ...(d.startedAt !== null ? { started: toRfc3339(d.startedAt) } : {}),
  ...(d.finishedAt !== null ? { finished: toRfc3339(d.finishedAt) } : {}),
  ...(d.substate !== null ? { substate: d.substate } : {}),
  ...(d.provides?.device_type !== undefined ? { device_type: d.provides.device_type } : {}),
  ...(d.artifactId !== null ? { artifact_id: d.artifactId } : {}),
  log: d.logAvailable,
  ...(d.artifactId !== null && image
    ? { image: imageToWire(d.artifactId, image.artifact, image.artifactName) }
    : {}),
});

/** One deployment of a device's history: Mender's DeviceDeployment (deployment + device). */
export const DeviceHistoryWire = Type.Object({
  id: Type.String({ description: 'the deployment id' }),
  deployment: DeploymentWire,
  device: DeviceDeploymentWire,
});

export const deviceHistoryToWire = (h: {
  deployment: DeploymentView;
  device: DeviceDeployment;
  image: Artifact | undefined;
}) => ({
  id: h.deployment.id,
  deployment: deploymentToWire(h.deployment),
  device: deviceDeploymentToWire(h.device, { artifact: h.image, artifactName: h.deployment.artifactName }),
});

export const NewDeploymentBody = Type.Object({
  name: Type.String({ maxLength: 256 }),
  artifact_name: Type.String({ maxLength: 256 }),
  devices: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100_000 })),
  all_devices: Type.Optional(Type.Boolean()),
  force_installation: Type.Optional(Type.Boolean()),
});

export const NewGroupDeploymentBody = Type.Object({
  name: Type.String({ maxLength: 256 }),
  artifact_name: Type.String({ maxLength: 256 }),
  force_installation: Type.Optional(Type.Boolean()),
});

/** What the device sends to /next (v1 POST): its provides, flattened. */
export const NextBody = Type.Object(
  {
    artifact_name: Type.String({ minLength: 1, maxLength: 4096 }),
    device_type: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  {
    additionalProperties: Type.Union([Type.String({ maxLength: 4096 }), Type.Unknown()]),
    // Far more provides than any device reports; the body limit bounds their size anyway.
    maxProperties: 1024,
  },
);

export const InstructionsWire = Type.Object({
  id: Type.String(),
  artifact: Type.Object({
    id: Type.String(),
    artifact_name: Type.String(),
    source: Type.Object({ uri: Type.String(), expire: Type.String() }),
    device_types_compatible: Type.Array(Type.String()),
  }),
});

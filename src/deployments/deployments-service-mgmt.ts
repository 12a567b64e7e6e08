import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import { recordEvent } from '../events/index.js';
import { lockKey } from '../store/conflicts.js';
import { type Executor, isUniqueViolation, type Store } from '../store/store.js';
import { refreshDeploymentStatus } from './deployment-progress.js';
import { deploymentsErrors } from './deployments-errors.js';
import { artifactsByIds, artifactsNamed } from './deployments-repo-artifacts.js';
import {
  type DeploymentQuery,
  deploymentStatistics,
  findActiveDeploymentByConstructor,
  findDeployment,
  insertDeployment,
  listDeployments,
  lockDeployment,
} from './deployments-repo-deployments.js';
import {
  findDeviceLog,
  finishActiveDevices,
  insertDeviceDeployments,
  listDeploymentDevices,
  listDeploymentsOfDevice,
} from './deployments-repo-devices.js';
import type {
  AcceptedDevices,
  Artifact,
  Deployment,
  DeviceDeployment,
  DeviceDeploymentStatus,
  DeviceLocks,
} from './deployments-types.js';

export const MAX_DEPLOYMENT_DEVICES = 100_000;
const MAX_NAME_LENGTH = 256;

/** A deployment's explicit device list: UUIDs only, bounded, deduplicated, lowercase. */
const checkDeviceList = (devices: string[]): string[] => {
  if (devices.length > MAX_DEPLOYMENT_DEVICES) {
    throw deploymentsErrors.badDeployment(`at most ${MAX_DEPLOYMENT_DEVICES} devices per deployment`);
  }
  const bad = devices.find((d) => !isUuid(d));
  if (bad !== undefined) throw deploymentsErrors.badDeployment(`not a device id: ${bad.slice(0, 64)}`);
  return [...new Set(devices.map((d) => d.toLowerCase()))];
};

export interface DeploymentTarget {
  devices?: string[];
  allDevices?: boolean;
  group?: string;
}

export interface DeploymentView extends Deployment {
  statistics: Partial<Record<DeviceDeploymentStatus, number>>;
  artifactIds: string[];
}

export interface DeploymentsService {
  create(
    tenantId: string,
    input: { name: string; artifactName: string; forceInstallation?: boolean } & DeploymentTarget,
  ): Promise<Deployment>;
  list(tenantId: string, q: DeploymentQuery): Promise<{ deployments: DeploymentView[]; total: number }>;
  get(tenantId: string, id: string): Promise<DeploymentView>;
  statistics(
    tenantId: string,
    ids: string[],
  ): Promise<Map<string, Partial<Record<DeviceDeploymentStatus, number>>>>;
  abort(tenantId: string, id: string): Promise<void>;
  /** A page of a deployment's devices, with the artifacts they were given that still exist (by id). */
  devices(
    tenantId: string,
    id: string,
    q: { status?: DeviceDeploymentStatus[]; offset: number; limit: number },
  ): Promise<{
    devices: DeviceDeployment[];
    total: number;
    images: Map<string, Artifact>;
    artifactName: string;
  }>;
  deviceLog(tenantId: string, id: string, deviceId: string): Promise<unknown[]>;
  /**
   * A device's deployments, newest first, each with the device's part in it. Unknown devices
   * (and other tenants') have none; a decommissioned device keeps its history.
   */
  deviceHistory(
    tenantId: string,
    deviceId: string,
    q: { status?: DeviceDeploymentStatus[]; offset: number; limit: number },
  ): Promise<{
    items: { deployment: DeploymentView; device: DeviceDeployment; image: Artifact | undefined }[];
    total: number;
  }>;
}

export const createDeploymentsService = (deps: {
  store: Store;
  clock: Clock;
  acceptedDevices: AcceptedDevices;
  deviceLocks: DeviceLocks;
}): DeploymentsService => {
  const { store, clock } = deps;
  const db = store.db;

  /**
   * The create transaction. Its check answers a repeated request; deployments_constructor_uq
   * (migration 0009) decides between identical requests that race past the check.
   */
  const createTransaction = <T>(fn: (tx: Executor) => Promise<T>): Promise<T> =>
    db
      .transaction()
      .execute(fn)
      .catch((e: unknown) => {
        if (isUniqueViolation(e)) throw deploymentsErrors.duplicateDeployment();
        throw e;
      });

  const view = async (tenantId: string, deployments: Deployment[]): Promise<DeploymentView[]> => {
    const stats = await deploymentStatistics(
      db,
      deployments.map((d) => d.id),
    );
    const byName = new Map<string, string[]>();
    for (const name of new Set(deployments.map((d) => d.artifactName))) {
      byName.set(
        name,
        (await artifactsNamed(db, tenantId, name)).map((a) => a.id),
      );
    }
    return deployments.map((d) => ({
      ...d,
      statistics: stats.get(d.id) ?? {},
      artifactIds: byName.get(d.artifactName) ?? [],
    }));
  };

  /** The artifacts these device rows were given, those that still exist. */
  const imagesOf = (tenantId: string, rows: DeviceDeployment[]) =>
    artifactsByIds(
      db,
      tenantId,
      rows.flatMap((r) => (r.artifactId === null ? [] : [r.artifactId])),
    );

  const mustGet = async (tenantId: string, id: string) => {
    const d = isUuid(id) ? await findDeployment(db, tenantId, id) : undefined;
    if (!d) throw deploymentsErrors.deploymentNotFound();
    return d;
  };

  return {
    async create(tenantId, input) {
      const name = input.name.trim();
      if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
        throw deploymentsErrors.badDeployment(`name must be 1..${MAX_NAME_LENGTH} characters`);
      }
      if (input.artifactName.length === 0 || input.artifactName.length > MAX_NAME_LENGTH) {
        throw deploymentsErrors.badDeployment(`artifact_name must be 1..${MAX_NAME_LENGTH} characters`);
      }
      const given = [
        input.devices !== undefined && input.devices.length > 0,
        input.allDevices === true,
        input.group !== undefined,
      ];
      if (given.filter(Boolean).length !== 1) {
        throw deploymentsErrors.badDeployment(
          'give exactly one of a non-empty devices list, all_devices: true, or a group',
        );
      }
      // An explicit list names devices; "all" and a group are expanded to the accepted devices now.
      const listed = input.devices && input.devices.length > 0 ? checkDeviceList(input.devices) : undefined;
      const candidates = listed ?? (await deps.acceptedDevices.list(tenantId, input.group));
      if (candidates.length === 0) throw deploymentsErrors.noDevices();
      const constructorSha256 = createHash('sha256')
        .update(
          JSON.stringify({
            name,
            artifact: input.artifactName,
            force: !!input.forceInstallation,
            all: !!input.allDevices,
            group: input.group ?? null,
            devices: listed ? [...listed].sort() : null,
          }),
        )
        .digest('hex');
      const nowMs = clock.nowMs();
      return createTransaction(async (tx) => {
        // The artifact is checked under the lock an artifact's or release's delete takes first,
        // so that neither can remove it between this check and the commit unseen: the delete
        // either sees this deployment (409) or ran before and the check fails here.
        await lockKey(tx, `release:${tenantId}`);
        if ((await artifactsNamed(tx, tenantId, input.artifactName)).length === 0) {
          throw deploymentsErrors.noArtifactForDeployment();
        }
        // Every id is resolved in the caller's tenant, in the transaction that writes the rows:
        // another tenant's device is refused exactly like an id that names no device, and a
        // refused deployment leaves nothing behind (docs/adr/0007-deployments.md).
        const known = await deps.deviceLocks.lockTenantDevices(tx, tenantId, candidates);
        if (listed) {
          const unknown = listed.filter((id) => !known.has(id));
          if (unknown.length > 0) throw deploymentsErrors.unknownDevices(unknown);
        }
        // A device of "all" or of the group decommissioned since the expansion is left out.
        const deviceIds = listed ?? candidates.filter((id) => known.has(id));
        if (deviceIds.length === 0) throw deploymentsErrors.noDevices();
        if (await findActiveDeploymentByConstructor(tx, tenantId, constructorSha256)) {
          throw deploymentsErrors.duplicateDeployment();
        }
        const deployment: Deployment = {
          id: newId(),
          tenantId,
          name,
          artifactName: input.artifactName,
          status: 'pending',
          forceInstallation: !!input.forceInstallation,
          maxDevices: deviceIds.length,
          groups: input.group !== undefined ? [input.group] : [],
          constructorSha256,
          createdAt: nowMs,
          finishedAt: null,
          totalSize: 0,
        };
        await insertDeployment(tx, deployment);
        await insertDeviceDeployments(tx, {
          tenantId,
          deploymentId: deployment.id,
          deviceIds,
          createdAt: nowMs,
        });
        await recordEvent(tx, {
          tenantId,
          type: 'deployment.created',
          payload: {
            deployment_id: deployment.id,
            name,
            artifact_name: input.artifactName,
            device_count: deviceIds.length,
          },
          nowMs,
        });
        return deployment;
      });
    },

    async list(tenantId, q) {
      const { deployments, total } = await listDeployments(db, tenantId, q);
      return { deployments: await view(tenantId, deployments), total };
    },

    async get(tenantId, id) {
      return (await view(tenantId, [await mustGet(tenantId, id)]))[0] as DeploymentView;
    },

    async statistics(tenantId, ids) {
      const valid = ids.filter(isUuid);
      const { deployments } = await listDeployments(db, tenantId, {
        ids: valid,
        desc: false,
        offset: 0,
        limit: valid.length || 1,
      });
      return deploymentStatistics(
        db,
        deployments.map((d) => d.id),
      );
    },

    async abort(tenantId, id) {
      if (!isUuid(id)) throw deploymentsErrors.deploymentNotFound();
      await db.transaction().execute(async (tx) => {
        const nowMs = clock.nowMs();
        const d = await lockDeployment(tx, tenantId, id);
        if (!d) throw deploymentsErrors.deploymentNotFound();
        if (d.status === 'finished') throw deploymentsErrors.alreadyFinished();
        const aborted = await finishActiveDevices(tx, id, 'aborted', nowMs);
        await recordEvent(tx, {
          tenantId,
          type: 'deployment.aborted',
          payload: { deployment_id: id, aborted_devices: aborted },
          nowMs,
        });
        // No device is active any more: this marks the deployment finished.
        await refreshDeploymentStatus(tx, d, nowMs);
      });
    },

    async devices(tenantId, id, q) {
      const d = await mustGet(tenantId, id);
      const page = await listDeploymentDevices(db, id, q);
      return { ...page, images: await imagesOf(tenantId, page.devices), artifactName: d.artifactName };
    },

    async deviceHistory(tenantId, deviceId, q) {
      if (!isUuid(deviceId)) return { items: [], total: 0 };
      const { rows, total } = await listDeploymentsOfDevice(db, tenantId, deviceId, q);
      if (rows.length === 0) return { items: [], total };
      const ids = rows.map((r) => r.deploymentId);
      const { deployments } = await listDeployments(db, tenantId, {
        ids,
        desc: true,
        offset: 0,
        limit: ids.length,
      });
      const byId = new Map((await view(tenantId, deployments)).map((d) => [d.id, d]));
      const images = await imagesOf(tenantId, rows);
      const items = rows.flatMap((device) => {
        const deployment = byId.get(device.deploymentId);
        const image = device.artifactId === null ? undefined : images.get(device.artifactId);
        return deployment ? [{ deployment, device, image }] : [];
      });
      return { items, total };
    },

    async deviceLog(tenantId, id, deviceId) {
      if (!isUuid(id) || !isUuid(deviceId)) throw deploymentsErrors.logNotFound();
      const log = await findDeviceLog(db, { tenantId, deploymentId: id, deviceId });
      if (!log) throw deploymentsErrors.logNotFound();
      return log;
    },
  };
};

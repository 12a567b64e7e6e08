import type { Clock } from '../core/clock.js';
import { isUuid } from '../core/ids.js';
import type { Store } from '../store/store.js';
import { chooseArtifact } from './artifact-match.js';
import { setDeviceStatus } from './deployment-progress.js';
import { deploymentsErrors } from './deployments-errors.js';
import { artifactsNamed } from './deployments-repo-artifacts.js';
import { addToDeploymentSize, lockDeviceDeployment } from './deployments-repo-deployments.js';
import {
  findDeviceDeployment,
  prepareNextDeviceDeployment,
  saveDeviceLog,
  updateDeviceDeployment,
} from './deployments-repo-devices.js';
import { type Artifact, type DeviceDeploymentStatus, deviceReportableStatuses } from './deployments-types.js';
import type { DownloadLinks } from './download-links.js';

/** Links handed to devices outlive slow downloads and resumes (24 h, as Mender's). */
export const DEVICE_LINK_TTL_MS = 24 * 3600 * 1000;

export interface DeviceRef {
  tenantId: string;
  deviceId: string;
}

export interface UpdateInstructions {
  id: string;
  artifact: {
    id: string;
    artifact_name: string;
    source: { uri: string; expire: string };
    device_types_compatible: string[];
  };
}

export interface DeviceDeploymentsService {
  /** The update this device should install now, or null (204). */
  next(
    device: DeviceRef,
    provides: Record<string, string>,
    baseUrl: string,
  ): Promise<UpdateInstructions | null>;
  reportStatus(
    device: DeviceRef,
    deploymentId: string,
    status: string,
    substate: string | undefined,
  ): Promise<void>;
  saveLog(device: DeviceRef, deploymentId: string, messages: unknown): Promise<void>;
}

const MAX_LOG_MESSAGES = 10_000;

export const createDeviceDeploymentsService = (deps: {
  store: Store;
  clock: Clock;
  links: DownloadLinks;
}): DeviceDeploymentsService => {
  const { store, clock, links } = deps;
  const db = store.db;
  const nextRow = prepareNextDeviceDeployment(store);

  const instructions = (device: DeviceRef, deploymentId: string, artifact: Artifact, baseUrl: string) => {
    const expiresAtMs = clock.nowMs() + DEVICE_LINK_TTL_MS;
    return {
      id: deploymentId,
      artifact: {
        id: artifact.id,
        artifact_name: artifact.name,
        source: {
          uri: links.make(baseUrl, {
            tenantId: device.tenantId,
            artifactId: artifact.id,
            deploymentId,
            deviceId: device.deviceId,
            expiresAtMs,
          }),
          expire: new Date(expiresAtMs).toISOString(),
        },
        device_types_compatible: artifact.deviceTypes,
      },
    };
  };

  return {
    async next(device, provides, baseUrl) {
      // The steady poll of a device with nothing to do is this one indexed read.
      const candidate = await nextRow(device.tenantId, device.deviceId);
      if (!candidate) return null;
      const outcome = await db.transaction().execute(async (tx) => {
        const nowMs = clock.nowMs();
        const found = await lockDeviceDeployment(tx, {
          tenantId: device.tenantId,
          deploymentId: candidate.deploymentId,
          deviceId: device.deviceId,
        });
        if (!found?.row.isActive) return null;
        const { deployment, row } = found;

        // A device reporting other provides than at the start of its deployment lost its state
        // (MEN-5518): fail that deployment rather than loop.
        if (row.provides === null) {
          await updateDeviceDeployment(
            tx,
            { deploymentId: row.deploymentId, deviceId: row.deviceId },
            { provides },
          );
        } else if (
          row.provides.artifact_name !== provides.artifact_name ||
          row.provides.device_type !== provides.device_type
        ) {
          // Recorded, then answered 409 once the transaction has committed.
          await setDeviceStatus(tx, deployment, row, 'failure', nowMs);
          return 'provides-changed' as const;
        }

        let artifact: Artifact | undefined;
        const candidates = await artifactsNamed(tx, device.tenantId, deployment.artifactName);
        if (row.artifactId !== null) artifact = candidates.find((a) => a.id === row.artifactId);
        else artifact = chooseArtifact(candidates, provides);
        if (!artifact) {
          await setDeviceStatus(tx, deployment, row, 'noartifact', nowMs);
          return null;
        }
        if (
          !deployment.forceInstallation &&
          row.status === 'pending' &&
          provides.artifact_name === artifact.name
        ) {
          await setDeviceStatus(tx, deployment, row, 'already-installed', nowMs, { artifactId: artifact.id });
          return null;
        }
        if (row.artifactId === null) {
          await updateDeviceDeployment(
            tx,
            { deploymentId: row.deploymentId, deviceId: row.deviceId },
            { artifactId: artifact.id },
          );
          // Counted once per device, when its artifact is first handed out (as Mender does).
          await addToDeploymentSize(tx, deployment.id, artifact.size);
        }
        return instructions(device, deployment.id, artifact, baseUrl);
      });
      if (outcome === 'provides-changed') throw deploymentsErrors.providesChanged();
      return outcome;
    },

    async reportStatus(device, deploymentId, status, substate) {
      if (!(deviceReportableStatuses as readonly string[]).includes(status))
        throw deploymentsErrors.badStatus(status);
      const to = status as DeviceDeploymentStatus;
      if (!isUuid(deploymentId)) throw deploymentsErrors.deviceDeploymentNotFound();
      await db.transaction().execute(async (tx) => {
        const found = await lockDeviceDeployment(tx, {
          tenantId: device.tenantId,
          deploymentId,
          deviceId: device.deviceId,
        });
        if (!found) throw deploymentsErrors.deviceDeploymentNotFound();
        const { deployment, row } = found;
        if (row.status === to) return;
        if (row.status === 'aborted' || row.status === 'decommissioned') throw deploymentsErrors.aborted();
        // Stricter than Mender OSS: a finished device deployment stays finished.
        if (!row.isActive) throw deploymentsErrors.finishedForDevice();
        await setDeviceStatus(tx, deployment, row, to, clock.nowMs(), {
          ...(substate !== undefined ? { substate } : {}),
        });
      });
    },

    async saveLog(device, deploymentId, body) {
      const messages = (body as { messages?: unknown } | null)?.messages;
      if (!Array.isArray(messages)) throw deploymentsErrors.badLog('messages must be an array');
      if (messages.length === 0) throw deploymentsErrors.badLog('no messages');
      if (messages.length > MAX_LOG_MESSAGES)
        throw deploymentsErrors.badLog(`more than ${MAX_LOG_MESSAGES} messages`);
      for (const m of messages) {
        const msg = m as Record<string, unknown> | null;
        if (
          typeof msg !== 'object' ||
          msg === null ||
          typeof msg.level !== 'string' ||
          typeof msg.message !== 'string' ||
          typeof msg.timestamp !== 'string'
        ) {
          throw deploymentsErrors.badLog('each message needs timestamp, level and message strings');
        }
      }
      if (!isUuid(deploymentId)) throw deploymentsErrors.deviceDeploymentNotFound();
      await db.transaction().execute(async (tx) => {
        const row = await findDeviceDeployment(tx, {
          tenantId: device.tenantId,
          deploymentId,
          deviceId: device.deviceId,
        });
        if (!row) throw deploymentsErrors.deviceDeploymentNotFound();
        const nowMs = clock.nowMs();
        await saveDeviceLog(tx, {
          tenantId: device.tenantId,
          deploymentId,
          deviceId: device.deviceId,
          messages,
          nowMs,
        });
        await updateDeviceDeployment(tx, { deploymentId, deviceId: device.deviceId }, { logAvailable: true });
      });
    },
  };
};

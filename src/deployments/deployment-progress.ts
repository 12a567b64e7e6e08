import { recordEvent } from '../events/index.js';
import type { Executor } from '../store/store.js';
import { setDeploymentStatus } from './deployments-repo-deployments.js';
import { hasActiveDevices, updateDeviceDeployment } from './deployments-repo-devices.js';
import {
  type Deployment,
  type DeviceDeployment,
  type DeviceDeploymentStatus,
  isActiveStatus,
} from './deployments-types.js';

/**
 * Moves one device of a deployment to `status` and keeps the deployment's own status in step:
 * `inprogress` once any device left `pending`, `finished` (with its time) once no device is
 * active. Runs in the caller's transaction, which holds the deployment row lock, so two devices
 * finishing at once cannot both miss the "last one" moment.
 */
export const setDeviceStatus = async (
  tx: Executor,
  deployment: Deployment,
  row: DeviceDeployment,
  status: DeviceDeploymentStatus,
  nowMs: number,
  extra: { substate?: string | null; artifactId?: string; provides?: Record<string, string> } = {},
): Promise<void> => {
  const active = isActiveStatus(status);
  await updateDeviceDeployment(
    tx,
    { deploymentId: row.deploymentId, deviceId: row.deviceId },
    {
      status,
      isActive: active,
      ...(row.status === 'pending' && status !== 'pending' && row.startedAt === null
        ? { startedAt: nowMs }
        : {}),
      ...(!active ? { finishedAt: nowMs } : {}),
      ...extra,
    },
  );
  await refreshDeploymentStatus(tx, deployment, nowMs);
};

export const refreshDeploymentStatus = async (
  tx: Executor,
  deployment: Deployment,
  nowMs: number,
): Promise<void> => {
  if (deployment.status === 'finished') return;
  if (!(await hasActiveDevices(tx, deployment.id))) {
    await setDeploymentStatus(tx, deployment.id, 'finished', nowMs);
    await recordEvent(tx, {
      tenantId: deployment.tenantId,
      type: 'deployment.finished',
      payload: { deployment_id: deployment.id, name: deployment.name },
      nowMs,
    });
    return;
  }
  if (deployment.status === 'pending') await setDeploymentStatus(tx, deployment.id, 'inprogress', null);
};

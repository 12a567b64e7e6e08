import type { Executor } from '../store/store.js';
import { setDeviceStatus } from './deployment-progress.js';
import { lockDeviceDeployment } from './deployments-repo-deployments.js';
import { activeDeploymentsOfDevice } from './deployments-repo-devices.js';

/**
 * Device lifecycle as deployments sees it, run inside devauth's transaction: a decommissioned
 * device leaves its unfinished deployments as `decommissioned`, which may finish them.
 */
export const createDeploymentsDeviceHooks = () => ({
  async deviceChanged(): Promise<void> {},
  async deviceRemoved(tx: Executor, device: { id: string; tenantId: string }, nowMs: number): Promise<void> {
    for (const deploymentId of await activeDeploymentsOfDevice(tx, device.tenantId, device.id)) {
      const found = await lockDeviceDeployment(tx, {
        tenantId: device.tenantId,
        deploymentId,
        deviceId: device.id,
      });
      if (found?.row.isActive)
        await setDeviceStatus(tx, found.deployment, found.row, 'decommissioned', nowMs);
    }
  },
});

import type { Executor, Store } from '../store/store.js';
import { setDeviceStatus } from './deployment-progress.js';
import { lockDeployment } from './deployments-repo-deployments.js';
import { activeDeploymentsOfDevice, findDeviceDeployment } from './deployments-repo-devices.js';

/**
 * Device lifecycle as deployments sees it, run inside devauth's transaction: a decommissioned
 * device leaves its unfinished deployments as `decommissioned`, which may finish them.
 */
export const createDeploymentsDeviceHooks = (store: Store) => ({
  async deviceChanged(): Promise<void> {},
  async deviceRemoved(tx: Executor, device: { id: string; tenantId: string }, nowMs: number): Promise<void> {
    for (const deploymentId of await activeDeploymentsOfDevice(tx, device.id)) {
      const deployment = await lockDeployment(store, tx, device.tenantId, deploymentId);
      const row =
        deployment &&
        (await findDeviceDeployment(tx, store, {
          tenantId: device.tenantId,
          deploymentId,
          deviceId: device.id,
        }));
      if (deployment && row?.isActive) await setDeviceStatus(tx, deployment, row, 'decommissioned', nowMs);
    }
  },
});

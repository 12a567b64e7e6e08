import type { LabelsChange } from '../devauth/index.js';
import type { Executor } from '../store/store.js';
import { lockDeviceInventory, upsertAttributes } from './inventory-repo.js';
import { setDevicesGroup } from './inventory-repo-mgmt.js';

/**
 * What certificate-based enrollment gives an admitted device in the inventory: its static
 * group and tags. Runs inside devauth's admission transaction.
 */
export const applyEnrollmentInventory = async (tx: Executor, args: LabelsChange): Promise<void> => {
  const { tenantId, deviceId, nowMs } = args;
  await lockDeviceInventory(tx, deviceId);
  if (args.group !== null) await setDevicesGroup(tx, tenantId, [deviceId], args.group, nowMs);
  const tags = Object.entries(args.tags).map(([name, value]) => ({ name, value, description: null }));
  await upsertAttributes(tx, tenantId, deviceId, 'tags', tags, nowMs);
};

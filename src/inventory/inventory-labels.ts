import type { DeviceLabels, LabelsChange } from '../devauth/index.js';
import type { Executor } from '../store/store.js';
import { applyEnrollmentInventory } from './inventory-enrollment.js';
import { inventoryErrors, MAX_TAGS } from './inventory-errors.js';
import { checkGroupName } from './inventory-filters.js';
import { scopeAttributes } from './inventory-repo-mgmt.js';

/**
 * Labels an operator gives devices as they are accepted in bulk ("approve with labels"): the
 * static group and tags, merged into the device's tags. `apply` runs in devauth's accept
 * transaction, so a device is accepted with its labels or not at all.
 */
export const createInventoryLabels = (): DeviceLabels => ({
  /** 400 for a group name or a tag count no device can take. */
  check(group: string | null, tags: Record<string, string>): void {
    if (group !== null) checkGroupName(group);
    if (Object.keys(tags).length > MAX_TAGS) throw inventoryErrors.tooManyTags();
  },

  async apply(tx: Executor, args: LabelsChange): Promise<void> {
    await applyEnrollmentInventory(tx, args);
    if (Object.keys(args.tags).length === 0) return;
    // The merge may take a device that has tags already over the limit.
    if ((await scopeAttributes(tx, args.tenantId, args.deviceId, 'tags')).length > MAX_TAGS)
      throw inventoryErrors.tooManyTags();
  },
});

import type { Executor } from '../store/store.js';
import { identityAttributes } from './inventory-hooks.js';

/** A device just created by a manifest import, with the labels its manifest row gives it. */
export interface ImportedDeviceFacts {
  id: string;
  tenantId: string;
  identity: Record<string, unknown>;
  status: string;
  group: string | null;
  tags: Record<string, string>;
}

const CHUNK = 500;

/**
 * The inventory of devices a manifest import creates, written with multi-row inserts in the
 * import's transaction: what `deviceChanged` writes for a new device (identity scope and status)
 * plus the row's group and tags. The devices are new, so there is nothing to merge or lock.
 */
export const insertImportedInventory = async (
  tx: Executor,
  devices: readonly ImportedDeviceFacts[],
  nowMs: number,
): Promise<void> => {
  const rows = devices.flatMap((d) => {
    const row = (scope: string, name: string, value: unknown) => ({
      tenant_id: d.tenantId,
      device_id: d.id,
      scope,
      name,
      value: JSON.stringify(value),
      description: null,
      updated_at: nowMs,
    });
    return [
      ...identityAttributes(d).map((a) => row('identity', a.name, a.value)),
      ...(d.group === null ? [] : [row('system', 'group', d.group)]),
      ...Object.entries(d.tags).map(([name, value]) => row('tags', name, value)),
    ];
  });
  for (let i = 0; i < rows.length; i += CHUNK)
    await tx
      .insertInto('inventory_attributes')
      .values(rows.slice(i, i + CHUNK))
      .execute();
};

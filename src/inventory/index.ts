import type { Clock } from '../core/clock.js';
import type { DeviceHooks, DeviceInventorySql, DeviceLabels, LabelsChange } from '../devauth/index.js';
import type { Module } from '../http/module.js';
import type { Executor, Store } from '../store/store.js';
import { applyEnrollmentInventory } from './inventory-enrollment.js';
import { createInventoryDeviceHooks } from './inventory-hooks.js';
import { createInventoryLabels } from './inventory-labels.js';
import { createRegexMatcher } from './inventory-regex.js';
import type { Attribute } from './inventory-repo.js';
import { createInventoryDeviceSql } from './inventory-repo-device-sql.js';
import { listAcceptedDeviceIds } from './inventory-repo-mgmt.js';
import { inventoryDeviceRoutes } from './inventory-routes-device.js';
import { inventoryGroupRoutes } from './inventory-routes-groups.js';
import { inventoryMgmtRoutes } from './inventory-routes-mgmt.js';
import { inventoryMgmtV2Routes } from './inventory-routes-mgmt-v2.js';
import { createInventoryService, type InventoryService } from './inventory-service.js';
import { createInventoryAdminService, type InventoryAdminService } from './inventory-service-mgmt.js';

export { MAX_TAGS } from './inventory-errors.js';
export { GROUP_NAME_RE } from './inventory-filters.js';
export { insertImportedInventory } from './inventory-repo-import.js';
export { deviceGroup, listAcceptedDeviceIds } from './inventory-repo-mgmt.js';
export type { InventoryService } from './inventory-service.js';
export type { InventoryAdminService } from './inventory-service-mgmt.js';

export interface InventoryModule extends Module {
  /** What devices report. */
  device: InventoryService;
  /** The management API: searches, groups, tags. */
  admin: InventoryAdminService;
  /** A device's attributes (bootstrap renders templates with them). */
  attributes: { of(tenantId: string, deviceId: string): Promise<Attribute[]> };
  /** What an enrollment writes into a device's inventory in its admission transaction. */
  enrollment: { apply(tx: Executor, change: LabelsChange): Promise<void> };
  /** Accepted devices of a tenant (for deployments). */
  acceptedDevices: { list(tenantId: string, group?: string): Promise<string[]> };
  /** Devauth's ports: identity attributes kept in step, inventory conditions of searches, labels. */
  deviceHooks: DeviceHooks;
  deviceSql: DeviceInventorySql;
  labels: DeviceLabels;
}

/** The inventory domain: attributes, groups and tags of devices. */
export const createInventoryModule = (deps: { store: Store; clock: Clock }): InventoryModule => {
  const { store, clock } = deps;
  const device = createInventoryService({ store, clock });
  const admin = createInventoryAdminService({ store, clock, regex: createRegexMatcher() });
  return {
    device,
    admin,
    attributes: { of: (tenantId, deviceId) => device.deviceAttributes(tenantId, deviceId) },
    enrollment: { apply: applyEnrollmentInventory },
    acceptedDevices: {
      list: (tenantId, group) =>
        listAcceptedDeviceIds(store.db, tenantId, group === undefined ? {} : { group }),
    },
    deviceHooks: createInventoryDeviceHooks(),
    deviceSql: createInventoryDeviceSql(store.db),
    labels: createInventoryLabels(),
    routes: {
      device: [inventoryDeviceRoutes(device)],
      management: [inventoryMgmtRoutes(admin), inventoryGroupRoutes(admin), inventoryMgmtV2Routes(admin)],
    },
    close: () => admin.close(),
  };
};

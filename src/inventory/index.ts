export { type Attribute, type AttributeValue, deleteDeviceInventory } from './inventory-repo.js';
export { inventoryDeviceRoutes } from './inventory-routes-device.js';
export { createInventoryService, type InventoryService } from './inventory-service.js';
export { createInventoryDeviceHooks } from './inventory-hooks.js';

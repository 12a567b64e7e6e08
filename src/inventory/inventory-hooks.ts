import type { Executor } from '../store/store.js';
import {
  type AttributeValue,
  deleteDeviceInventory,
  lockDeviceInventory,
  replaceScope,
} from './inventory-repo.js';

/** The device facts devauth hands to inventory (structurally its Device type). */
export interface DeviceFacts {
  id: string;
  tenantId: string;
  identity: Record<string, unknown>;
  status: string;
}

const toAttributeValue = (v: unknown): AttributeValue => {
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  return JSON.stringify(v);
};

/**
 * The `identity` scope of a device: its identity attributes, plus `status` (the device's auth
 * status). An identity attribute literally named `status` is dropped, as Mender does, because
 * `identity/status` is the auth status.
 */
export const identityAttributes = (device: DeviceFacts) => {
  const attrs = Object.entries(device.identity)
    .filter(([name]) => name !== 'status')
    .map(([name, value]) => ({ name, value: toAttributeValue(value), description: null }));
  attrs.push({ name: 'status', value: device.status, description: null });
  return attrs;
};

/**
 * Keeps the `identity` scope in step with device auth, in devauth's transaction: the identity
 * attributes, plus `status` (the device's auth status). An identity attribute literally named
 * `status` is dropped, as Mender does, because `identity/status` is the auth status.
 */
export const createInventoryDeviceHooks = () => ({
  async deviceChanged(tx: Executor, device: DeviceFacts, nowMs: number): Promise<void> {
    await lockDeviceInventory(tx, device.id);
    await replaceScope(tx, device.tenantId, device.id, 'identity', identityAttributes(device), nowMs);
  },
  async deviceRemoved(tx: Executor, device: DeviceFacts): Promise<void> {
    await deleteDeviceInventory(tx, device.id);
  },
});

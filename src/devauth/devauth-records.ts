import type { AuthSet, Device } from './devauth-types.js';
import type { CanonicalIdentity } from './identity.js';
import type { DevicePublicKey } from './pubkey.js';

/** A new device row for an identity first seen in an auth request (status derived later). */
export const newDevice = (
  id: string,
  tenantId: string,
  identity: CanonicalIdentity,
  nowMs: number,
): Device => ({
  id,
  tenantId,
  identity: identity.attributes,
  identityText: identity.text,
  identitySha256: identity.sha256,
  status: 'pending',
  createdAt: nowMs,
  updatedAt: nowMs,
  checkInAt: null,
});

/** A new pending auth set: the device's identity with a key it presented. */
export const newPendingAuthSet = (
  id: string,
  device: Pick<Device, 'id' | 'tenantId'>,
  pubkey: Pick<DevicePublicKey, 'pem' | 'sha256' | 'type'>,
  nowMs: number,
): AuthSet => ({
  id,
  tenantId: device.tenantId,
  deviceId: device.id,
  pubkey: pubkey.pem,
  pubkeySha256: pubkey.sha256,
  keyType: pubkey.type,
  status: 'pending',
  createdAt: nowMs,
  updatedAt: nowMs,
});

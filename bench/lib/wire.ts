/** The device requests the bench sends. */
export const AUTH_PATH = '/api/devices/v1/authentication/auth_requests';
export const INVENTORY_PATH = '/api/devices/v1/inventory/device/attributes';

/** What a device's inventory update typically carries (the client's inventory scripts). */
export const INVENTORY_BODY = JSON.stringify([
  { name: 'device_type', value: 'raspberrypi4' },
  { name: 'artifact_name', value: 'release-2024.11.3' },
  { name: 'kernel', value: 'Linux version 6.1.21-v8+ (dom@buildbot) #1642 SMP PREEMPT' },
]);

/** What the polling fleet runs (its current artifact) and what its deployment installs. */
export const POLL_DEVICE_TYPE = 'qemux86-64';
export const POLL_CURRENT_ARTIFACT = 'release-1';
export const POLL_UPDATE_ARTIFACT = 'release-2';

/** The device's "is there an update for me?" poll (v1 POST form, with the device's provides). */
export const NEXT_PATH = '/api/devices/v1/deployments/device/deployments/next';
export const NEXT_BODY = JSON.stringify({
  artifact_name: POLL_CURRENT_ARTIFACT,
  device_type: POLL_DEVICE_TYPE,
});

/** The polling fleet's inventory, re-sent unchanged by every device on every inventory poll. */
export const POLL_INVENTORY_BODY = JSON.stringify([
  { name: 'device_type', value: POLL_DEVICE_TYPE },
  { name: 'artifact_name', value: POLL_CURRENT_ARTIFACT },
  { name: 'kernel', value: 'Linux version 6.1.21-v8+ (dom@buildbot) #1642 SMP PREEMPT' },
]);

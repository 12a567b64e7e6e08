/** The device requests the bench sends. */
export const AUTH_PATH = '/api/devices/v1/authentication/auth_requests';
export const INVENTORY_PATH = '/api/devices/v1/inventory/device/attributes';

/** What a device's inventory update typically carries (the client's inventory scripts). */
export const INVENTORY_BODY = JSON.stringify([
  { name: 'device_type', value: 'raspberrypi4' },
  { name: 'artifact_name', value: 'release-2024.11.3' },
  { name: 'kernel', value: 'Linux version 6.1.21-v8+ (dom@buildbot) #1642 SMP PREEMPT' },
]);

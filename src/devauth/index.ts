export { decodeCursor, encodeCursor } from './devauth-cursor.js';
export { createNewDeviceLimits, type NewDeviceLimits } from './devauth-limits.js';
export { lockTenantDeviceIds } from './devauth-repo-devices.js';
export { devauthDeviceRoutes } from './devauth-routes-device.js';
export { devauthMgmtRoutes } from './devauth-routes-mgmt.js';
export { type DeviceWireT, deviceToWire } from './devauth-schemas.js';
export { createDeviceAuthService, type DeviceAuthService } from './devauth-service-device.js';
export { createDevauthAdminService, type DevauthAdminService } from './devauth-service-mgmt.js';
export type { Actor, AuthSetStatus, DevicePrincipal, DeviceStatus } from './devauth-types.js';
export {
  type CertificateAdmission,
  type CertificateAllocation,
  type CertificateEnrollment,
  combineDeviceHooks,
  type DeviceHooks,
  deviceStatuses,
  type PresentedCertificate,
} from './devauth-types.js';
export { canonicalIdentity, parseIdData } from './identity.js';

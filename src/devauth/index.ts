export { createNewDeviceLimits, type NewDeviceLimits } from './devauth-limits.js';
export { lockTenantDeviceIds } from './devauth-repo-devices.js';
export { devauthDeviceRoutes } from './devauth-routes-device.js';
export { devauthMgmtRoutes } from './devauth-routes-mgmt.js';
export { createDeviceAuthService, type DeviceAuthService } from './devauth-service-device.js';
export { createDevauthAdminService, type DevauthAdminService } from './devauth-service-mgmt.js';
export type { AuthSetStatus, DevicePrincipal, DeviceStatus } from './devauth-types.js';
export {
  type CertificateAdmission,
  type CertificateAllocation,
  type CertificateEnrollment,
  combineDeviceHooks,
  type DeviceHooks,
  type PresentedCertificate,
} from './devauth-types.js';
export { canonicalIdentity, parseIdData } from './identity.js';

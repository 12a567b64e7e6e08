export { type CheckInRecorder, createCheckInRecorder } from './check-in-recorder.js';
export { decodeCursor, encodeCursor } from './devauth-cursor.js';
export {
  type ImportRow,
  type ImportRowOutcome,
  type KnownState,
  type PlannedCreate,
  planImportBatch,
} from './devauth-import-plan.js';
export { createNewDeviceLimits, type NewDeviceLimits } from './devauth-limits.js';
export { lockTenantDeviceIds } from './devauth-repo-devices.js';
export { type ImportOrigin, readKnownState } from './devauth-repo-import.js';
export { devauthDeviceRoutes } from './devauth-routes-device.js';
export { devauthMgmtRoutes } from './devauth-routes-mgmt.js';
export { devauthStatisticsRoutes } from './devauth-routes-statistics.js';
export { type DeviceWireT, deviceToWire } from './devauth-schemas.js';
export { createDeviceAuthService, type DeviceAuthService } from './devauth-service-device.js';
export { applyImportPlan } from './devauth-service-import.js';
export { createDevauthAdminService, type DevauthAdminService } from './devauth-service-mgmt.js';
export type { Actor, AuthSetStatus, DevicePrincipal, DeviceStatus } from './devauth-types.js';
export {
  type CertificateAdmission,
  type CertificateAllocation,
  type CertificateEnrollment,
  combineDeviceHooks,
  type DeviceHooks,
  type DeviceLabels,
  deviceStatuses,
  type LabelsChange,
  type PresentedCertificate,
} from './devauth-types.js';
export { canonicalIdentity, IdentityError, parseIdData } from './identity.js';
export { PublicKeyError, parseDevicePublicKey } from './pubkey.js';

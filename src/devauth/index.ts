import type { Clock } from '../core/clock.js';
import { isUuid } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../http/module.js';
import type { Db, Store } from '../store/store.js';
import type { TokenKit } from '../tokens/token-kit.js';
import { type CheckInRecorder, createCheckInRecorder } from './check-in-recorder.js';
import { createNewDeviceLimits, type NewDeviceLimitSettings } from './devauth-limits.js';
import { findDevice, lockTenantDeviceIds } from './devauth-repo-devices.js';
import { devauthDeviceRoutes } from './devauth-routes-device.js';
import { devauthMgmtRoutes } from './devauth-routes-mgmt.js';
import { devauthStatisticsRoutes } from './devauth-routes-statistics.js';
import { createDeviceAuthService, type DeviceAuthService } from './devauth-service-device.js';
import { createDevauthAdminService, type DevauthAdminService } from './devauth-service-mgmt.js';
import {
  type CertificateAdmission,
  combineDeviceHooks,
  type DeviceHooks,
  type DeviceInventorySql,
  type DeviceLabels,
  type TenantTokens,
} from './devauth-types.js';

export type { CheckInRecorder } from './check-in-recorder.js';
export { decodeCursor, encodeCursor } from './devauth-cursor.js';
export {
  type ImportRow,
  type ImportRowOutcome,
  type KnownState,
  type PlannedCreate,
  planImportBatch,
} from './devauth-import-plan.js';
export { type ImportOrigin, readKnownState } from './devauth-repo-import.js';
export { type DeviceWireT, deviceToWire } from './devauth-schemas.js';
export type { DeviceAuthService } from './devauth-service-device.js';
export { applyImportPlan } from './devauth-service-import.js';
export type { DevauthAdminService } from './devauth-service-mgmt.js';
export type { Actor, AuthSetStatus, DevicePrincipal, DeviceStatus } from './devauth-types.js';
export {
  type CertificateAdmission,
  type CertificateAllocation,
  type CertificateEnrollment,
  type DeviceHooks,
  type DeviceInventorySql,
  type DeviceLabels,
  deviceStatuses,
  type LabelsChange,
  type PresentedCertificate,
  type TenantTokens,
} from './devauth-types.js';
export { canonicalIdentity, IdentityError, parseIdData } from './identity.js';
export { PublicKeyError, parseDevicePublicKey } from './pubkey.js';

/**
 * Whether a device exists in a tenant, whatever its status. A read of its own, not of the module,
 * so that domains devauth needs (enrollment, through bootstrap) can be built before it.
 */
export const createDeviceDirectory = (db: Db) => ({
  exists: async (tenantId: string, deviceId: string): Promise<boolean> =>
    isUuid(deviceId) && (await findDevice(db, tenantId, deviceId)) !== undefined,
});

/**
 * Which ids are devices of the tenant, each row locked until the transaction ends (deployments
 * lock the devices they target). Stateless, like the directory: no module needed.
 */
export const deviceLocks = { lockTenantDevices: lockTenantDeviceIds };

export interface DevauthModule extends Module {
  /** What devices ask: auth requests, token checks. */
  device: DeviceAuthService;
  /** The management API: devices, auth sets, preauthorization, decisions, counts. */
  admin: DevauthAdminService;
  /** Devices' check-in times, written in batches. */
  checkIns: CheckInRecorder;
}

export interface DevauthSettings {
  deviceTokenTtlSeconds: number;
  /** Rates and the pending cap for unknown identities (docs/limits.md). */
  newDevices: NewDeviceLimitSettings;
  /** Longest a bulk request works before it answers with the devices it did not get to. */
  bulkTimeBudgetMs: number;
}

/** The devauth domain: devices, auth sets, device tokens and the three admission flows. */
export const createDevauthModule = (deps: {
  store: Store;
  clock: Clock;
  logger: Logger;
  tokens: Pick<TokenKit, 'sign' | 'verify'>;
  tenants: TenantTokens;
  /** Other domains' part in a device's changes and removal, in devauth's transaction. */
  hooks: readonly DeviceHooks[];
  /** Inventory conditions of device searches (q, group, tag). */
  inventory: DeviceInventorySql;
  /** Group and tags of a bulk accept. */
  labels: DeviceLabels;
  /** Certificate-based admission (the enrollment domain). */
  certificates: CertificateAdmission;
  settings: DevauthSettings;
}): DevauthModule => {
  const { store, clock, logger, settings } = deps;
  const hooks = combineDeviceHooks(...deps.hooks);
  const checkIns = createCheckInRecorder({
    db: store.db,
    // Best effort: a lost batch only makes check_in_time older; say so without failing requests.
    onError: (err) => logger.warn({ err }, 'device check-in write failed'),
  });
  const device = createDeviceAuthService({
    store,
    clock,
    tokens: deps.tokens,
    tenants: deps.tenants,
    deviceTokenTtlSeconds: settings.deviceTokenTtlSeconds,
    checkIns,
    hooks,
    certificates: deps.certificates,
    limits: createNewDeviceLimits({ logger, settings: settings.newDevices }),
  });
  const admin = createDevauthAdminService({
    store,
    clock,
    hooks,
    inventory: deps.inventory,
    labels: deps.labels,
    bulkTimeBudgetMs: settings.bulkTimeBudgetMs,
  });
  return {
    device,
    admin,
    checkIns,
    routes: {
      // An auth request carries its own proof (signature, certificate): it is how a device gets a token.
      open: [devauthDeviceRoutes(device)],
      management: [devauthMgmtRoutes(admin), devauthStatisticsRoutes(admin)],
    },
    close: () => checkIns.close(),
  };
};

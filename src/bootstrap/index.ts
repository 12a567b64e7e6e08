import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Module } from '../http/module.js';
import { createTokenBuckets } from '../limits/index.js';
import type { Store } from '../store/store.js';
import { createAttemptOutcomes } from './bootstrap-attempts.js';
import { createDelivery, type DeviceAttributes } from './bootstrap-delivery.js';
import { createEnrollmentConfigs, type EnrollmentConfigs } from './bootstrap-enrollment.js';
import { createEventBuffer } from './bootstrap-event-buffer.js';
import { type BootstrapLimits, createBootstrapGuard } from './bootstrap-rate-limit.js';
import { prepareDeviceLookups } from './bootstrap-repo-configs.js';
import { bootstrapChannelRoutes } from './bootstrap-routes-channels.js';
import { bootstrapDeviceRoutes, bootstrapDeviceTokenRoutes } from './bootstrap-routes-device.js';
import { bootstrapMgmtRoutes } from './bootstrap-routes-mgmt.js';
import { bootstrapV2Routes } from './bootstrap-routes-v2.js';
import { createBootstrapSecrets } from './bootstrap-secrets.js';
import {
  type BootstrapChannelsService,
  createBootstrapChannelsService,
} from './bootstrap-service-channels.js';
import { type BootstrapConfigsService, createBootstrapConfigsService } from './bootstrap-service-configs.js';
import { type BootstrapDeviceService, createBootstrapDeviceService } from './bootstrap-service-device.js';
import { type BootstrapImportService, createBootstrapImportService } from './bootstrap-service-import.js';
import { type BootstrapV2Service, createBootstrapV2Service } from './bootstrap-service-v2.js';
import type { DeviceDirectory } from './bootstrap-types.js';

export { fetchBootstrap } from './bootstrap-client.js';
export { cfbEncrypt, parseEncryptKey } from './bootstrap-crypto-cfb.js';
export { deviceV2Exchange } from './bootstrap-crypto-v2.js';
export type { DeviceAttributes } from './bootstrap-delivery.js';
export type { EnrollmentConfigs } from './bootstrap-enrollment.js';
export { parseImportFile } from './bootstrap-import.js';
export type { BootstrapChannelsService } from './bootstrap-service-channels.js';
export type { BootstrapConfigsService } from './bootstrap-service-configs.js';
export type { BootstrapDeviceService } from './bootstrap-service-device.js';
export type { BootstrapImportService, ImportReport, ImportRowResult } from './bootstrap-service-import.js';
export type { BootstrapV2Service } from './bootstrap-service-v2.js';
export type { BootstrapConfig, DeviceDirectory, TemplateMode } from './bootstrap-types.js';

export interface BootstrapModule extends Module {
  configs: BootstrapConfigsService;
  /** `gatehouse bootstrap import`: makes the configs match a file (idempotent, crash-safe). */
  importer: BootstrapImportService;
  channels: BootstrapChannelsService;
  device: BootstrapDeviceService;
  v2: BootstrapV2Service;
  /** The configs certificate-based enrollment gives admitted devices. */
  enrollment: EnrollmentConfigs;
  /** Writes the buffered `bootstrap.fetched` events now. */
  flushEvents(): Promise<void>;
}

export interface BootstrapSettings {
  /** Magistrala secure-mode key (16/24/32 bytes), undefined = secure mode off. */
  encryptKey: Buffer | undefined;
  /** Failed-attempt limits (docs/limits.md). */
  limits: BootstrapLimits;
  challengeTtlSeconds: number;
  /** v2 challenges per source address and minute (each is a row until it expires); 0: off. */
  challengesPerAddressPerMinute: number;
}

/** The bootstrap domain: Magistrala-compatible configs and channels, device fetches, bootstrap v2. */
export const createBootstrapModule = (deps: {
  store: Store;
  clock: Clock;
  masterKey: Uint8Array;
  box: SecretBox;
  logger: Logger;
  settings: BootstrapSettings;
  devices: DeviceDirectory;
  attributes: DeviceAttributes;
}): BootstrapModule => {
  const { store, clock, settings } = deps;
  const secrets = createBootstrapSecrets({ masterKey: deps.masterKey, box: deps.box });
  const lookups = prepareDeviceLookups(store);
  const deliver = createDelivery({ secrets, attributes: deps.attributes });
  const guard = createBootstrapGuard(store, settings.limits);
  const eventBuffer = createEventBuffer({
    db: store.db,
    // Best effort, like check-ins: say so without failing requests.
    onError: (err) => deps.logger.warn({ err }, 'bootstrap event write failed'),
  });
  const outcomes = createAttemptOutcomes({ store, clock, guard, eventBuffer });
  const shared = { store, clock, secrets, lookups, deliver, outcomes };
  const { devices } = deps;
  const configs = createBootstrapConfigsService({ store, clock, secrets, devices });
  const channels = createBootstrapChannelsService({ store, clock });
  const device = createBootstrapDeviceService({ ...shared, eventBuffer, encryptKey: settings.encryptKey });
  const v2 = createBootstrapV2Service({
    ...shared,
    challengeTtlMs: settings.challengeTtlSeconds * 1000,
    challengeRate: createTokenBuckets({ perMinute: settings.challengesPerAddressPerMinute }),
  });
  return {
    configs,
    importer: createBootstrapImportService({ store, clock, secrets, devices }),
    channels,
    device,
    v2,
    enrollment: createEnrollmentConfigs({ db: store.db, secrets }),
    flushEvents: () => eventBuffer.flush(),
    close: () => eventBuffer.close(),
    routes: {
      // Device routes that authenticate with their own credentials (external key, v2 proof).
      open: [bootstrapDeviceRoutes(device), bootstrapV2Routes(v2)],
      device: [bootstrapDeviceTokenRoutes(device)],
      management: [bootstrapMgmtRoutes(configs), bootstrapChannelRoutes(channels)],
    },
  };
};

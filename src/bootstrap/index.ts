import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import { createTokenBuckets } from '../limits/index.js';
import type { Store } from '../store/store.js';
import { createAttemptOutcomes } from './bootstrap-attempts.js';
import { createDelivery, type DeviceAttributesReader } from './bootstrap-delivery.js';
import { createEnrollmentConfigs, type EnrollmentConfigs } from './bootstrap-enrollment.js';
import { createEventBuffer } from './bootstrap-event-buffer.js';
import { type BootstrapLimits, createBootstrapGuard } from './bootstrap-rate-limit.js';
import { prepareDeviceLookups } from './bootstrap-repo-configs.js';
import { createBootstrapSecrets } from './bootstrap-secrets.js';
import {
  type BootstrapChannelsService,
  createBootstrapChannelsService,
} from './bootstrap-service-channels.js';
import { type BootstrapConfigsService, createBootstrapConfigsService } from './bootstrap-service-configs.js';
import { type BootstrapDeviceService, createBootstrapDeviceService } from './bootstrap-service-device.js';
import { type BootstrapImportService, createBootstrapImportService } from './bootstrap-service-import.js';
import { type BootstrapV2Service, createBootstrapV2Service } from './bootstrap-service-v2.js';

export { fetchBootstrap } from './bootstrap-client.js';
export { cfbEncrypt, parseEncryptKey } from './bootstrap-crypto-cfb.js';
export { deviceV2Exchange } from './bootstrap-crypto-v2.js';
export type { DeviceAttributesReader } from './bootstrap-delivery.js';
export type { EnrollmentConfigs } from './bootstrap-enrollment.js';
export { parseImportFile } from './bootstrap-import.js';
export { bootstrapChannelRoutes } from './bootstrap-routes-channels.js';
export { bootstrapDeviceRoutes, bootstrapDeviceTokenRoutes } from './bootstrap-routes-device.js';
export { bootstrapMgmtRoutes } from './bootstrap-routes-mgmt.js';
export { bootstrapV2Routes } from './bootstrap-routes-v2.js';
export type { BootstrapChannelsService } from './bootstrap-service-channels.js';
export type { BootstrapConfigsService } from './bootstrap-service-configs.js';
export type { BootstrapDeviceService } from './bootstrap-service-device.js';
export type { BootstrapImportService, ImportReport, ImportRowResult } from './bootstrap-service-import.js';
export type { BootstrapV2Service } from './bootstrap-service-v2.js';
export type { BootstrapConfig, TemplateMode } from './bootstrap-types.js';

export interface Bootstrap {
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
  close(): Promise<void>;
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

/** Builds the bootstrap domain's services (wired in src/wiring.ts). */
export const createBootstrap = (deps: {
  store: Store;
  clock: Clock;
  masterKey: Uint8Array;
  box: SecretBox;
  logger: Logger;
  settings: BootstrapSettings;
  deviceExists: (tenantId: string, deviceId: string) => Promise<boolean>;
  deviceAttributes: DeviceAttributesReader;
}): Bootstrap => {
  const { store, clock, settings } = deps;
  const secrets = createBootstrapSecrets({ masterKey: deps.masterKey, box: deps.box });
  const lookups = prepareDeviceLookups(store);
  const deliver = createDelivery({ secrets, deviceAttributes: deps.deviceAttributes });
  const guard = createBootstrapGuard(store, settings.limits);
  const eventBuffer = createEventBuffer({
    db: store.db,
    // Best effort, like check-ins: say so without failing requests.
    onError: (err) => deps.logger.warn({ err }, 'bootstrap event write failed'),
  });
  const outcomes = createAttemptOutcomes({ store, clock, guard, eventBuffer });
  const shared = { store, clock, secrets, lookups, deliver, outcomes };
  return {
    configs: createBootstrapConfigsService({ store, clock, secrets, deviceExists: deps.deviceExists }),
    importer: createBootstrapImportService({ store, clock, secrets, deviceExists: deps.deviceExists }),
    channels: createBootstrapChannelsService({ store, clock }),
    device: createBootstrapDeviceService({ ...shared, eventBuffer, encryptKey: settings.encryptKey }),
    v2: createBootstrapV2Service({
      ...shared,
      challengeTtlMs: settings.challengeTtlSeconds * 1000,
      challengeRate: createTokenBuckets({ perMinute: settings.challengesPerAddressPerMinute }),
    }),
    enrollment: createEnrollmentConfigs({ secrets }),
    flushEvents: () => eventBuffer.flush(),
    close: () => eventBuffer.close(),
  };
};

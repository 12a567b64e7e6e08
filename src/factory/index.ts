import type { BlobStore } from '../blobs/index.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../http/module.js';
import type { Store } from '../store/store.js';
import { factoryMgmtRoutes } from './factory-routes-mgmt.js';
import { createFactoriesService, type FactoriesService } from './factory-service-factories.js';
import { createImportsService, type ImportSettings, type ImportsService } from './import-service.js';
import { createImportWorker, type ImportWorker } from './import-worker.js';

export type { DeviceImport, Factory } from './factory-types.js';
export type { RowResult } from './import-engine.js';
export { newLeaseOwner } from './import-lease.js';
export { REPORT_HEADER, reportLine } from './import-report.js';
export type { DryRunSummary } from './import-service.js';
export { keyTypes } from './keygen-plan.js';
export { type KeygenSummary, runKeygen } from './keygen-run.js';
export { buildPlan, MAX_COUNT, MAX_RSA_BITS, MIN_RSA_BITS } from './keygen-validate.js';
export { formatOfFileName, type ManifestFormat, manifestFormats } from './manifest-read.js';
export {
  FactoryKeyError,
  parseFactoryPrivateKey,
  parseFactoryPublicKey,
  signManifest,
} from './manifest-signature.js';
export type { FactoriesService, ImportsService, ImportWorker };

export interface FactoryModule extends Module {
  factories: FactoriesService;
  imports: ImportsService;
  /** Not started here: `gatehouse serve` starts it (src/server.ts). */
  worker: ImportWorker;
}

/** The factory domain: factory keys, manifest imports and their worker. */
export const createFactoryModule = (deps: {
  store: Store;
  clock: Clock;
  blobs: BlobStore;
  logger: Logger;
  settings: ImportSettings & { pollIntervalMs: number };
}): FactoryModule => {
  const factories = createFactoriesService({ store: deps.store, clock: deps.clock });
  const imports = createImportsService({ ...deps, factories });
  const worker = createImportWorker({
    imports,
    logger: deps.logger,
    pollIntervalMs: deps.settings.pollIntervalMs,
  });
  return {
    factories,
    imports,
    worker,
    routes: { management: [factoryMgmtRoutes({ factories, imports })] },
    close: () => worker.stop(),
  };
};

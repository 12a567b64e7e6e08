import type { BlobStore } from '../blobs/index.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../http/module.js';
import type { Store } from '../store/store.js';
import { createDeploymentsDeviceHooks } from './deployments-hooks.js';
import { deploymentsArtifactRoutes } from './deployments-routes-artifacts.js';
import { deploymentsMgmtRoutes } from './deployments-routes-deployments.js';
import { deploymentsDeviceRoutes } from './deployments-routes-device.js';
import { deploymentsDownloadRoutes } from './deployments-routes-download.js';
import { deploymentsReleaseRoutes } from './deployments-routes-releases.js';
import { deploymentsV2Routes } from './deployments-routes-v2.js';
import { type ArtifactsService, createArtifactsService } from './deployments-service-artifacts.js';
import {
  createDeviceDeploymentsService,
  type DeviceDeploymentsService,
} from './deployments-service-device.js';
import { createArtifactDownloads } from './deployments-service-download.js';
import { createDeploymentsService, type DeploymentsService } from './deployments-service-mgmt.js';
import { createReleasesService, type ReleasesService } from './deployments-service-releases.js';
import type { AcceptedDevices, DeviceLocks } from './deployments-types.js';
import { createDownloadLinks, type DownloadLinks } from './download-links.js';

export { ORPHAN_GRACE_MS } from './artifact-orphans.js';
export type { ArtifactsService } from './deployments-service-artifacts.js';
export type { DeviceDeploymentsService } from './deployments-service-device.js';
export type { DeploymentsService } from './deployments-service-mgmt.js';
export type { ReleasesService } from './deployments-service-releases.js';
export type { AcceptedDevices, DeviceLocks } from './deployments-types.js';
export type { DownloadLinks } from './download-links.js';

export interface DeploymentsModule extends Module {
  artifacts: ArtifactsService;
  releases: ReleasesService;
  /** Deployments as the management API sees them. */
  deployments: DeploymentsService;
  /** What a device asks: its next deployment, status and log reports. */
  device: DeviceDeploymentsService;
  links: DownloadLinks;
  /** A decommissioned device leaves its active deployments (devauth calls it). */
  deviceHooks: ReturnType<typeof createDeploymentsDeviceHooks>;
}

export interface DeploymentsSettings {
  /** The URL devices and users are given for downloads when no request says otherwise. */
  publicUrl: string;
  publicUrlConfigured: boolean;
  maxArtifactBytes: number;
}

/** The deployments domain: artifacts, releases, deployments and what devices download. */
export const createDeploymentsModule = (deps: {
  store: Store;
  clock: Clock;
  blobs: BlobStore;
  masterKey: Uint8Array;
  logger: Pick<Logger, 'warn'>;
  acceptedDevices: AcceptedDevices;
  deviceLocks: DeviceLocks;
  settings: DeploymentsSettings;
}): DeploymentsModule => {
  const { store, clock, blobs, logger, settings } = deps;
  const links = createDownloadLinks(deps.masterKey);
  const artifacts = createArtifactsService({
    store,
    clock,
    blobs,
    links,
    maxArtifactBytes: settings.maxArtifactBytes,
    logger,
  });
  const releases = createReleasesService({ store, clock, blobs, logger });
  const deployments = createDeploymentsService({
    store,
    clock,
    acceptedDevices: deps.acceptedDevices,
    deviceLocks: deps.deviceLocks,
  });
  const device = createDeviceDeploymentsService({ store, clock, links });
  return {
    artifacts,
    releases,
    deployments,
    device,
    links,
    deviceHooks: createDeploymentsDeviceHooks(),
    routes: {
      // A signed, expiring link is the download's credential.
      open: [
        deploymentsDownloadRoutes({ downloads: createArtifactDownloads(store.db), blobs, links, clock }),
      ],
      device: [deploymentsDeviceRoutes(device, settings)],
      management: [
        deploymentsArtifactRoutes(artifacts, settings),
        deploymentsMgmtRoutes(deployments),
        deploymentsReleaseRoutes(releases),
        deploymentsV2Routes({ deployments, artifacts }),
      ],
    },
  };
};

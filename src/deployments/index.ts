export { ORPHAN_GRACE_MS } from './artifact-orphans.js';
export { createDeploymentsDeviceHooks } from './deployments-hooks.js';
export { deploymentsArtifactRoutes } from './deployments-routes-artifacts.js';
export { deploymentsMgmtRoutes } from './deployments-routes-deployments.js';
export { deploymentsDeviceRoutes } from './deployments-routes-device.js';
export { deploymentsDownloadRoutes } from './deployments-routes-download.js';
export { deploymentsReleaseRoutes } from './deployments-routes-releases.js';
export { deploymentsV2Routes } from './deployments-routes-v2.js';
export { type ArtifactsService, createArtifactsService } from './deployments-service-artifacts.js';
export {
  createDeviceDeploymentsService,
  type DeviceDeploymentsService,
} from './deployments-service-device.js';
export { createDeploymentsService, type DeploymentsService } from './deployments-service-mgmt.js';
export { createReleasesService, type ReleasesService } from './deployments-service-releases.js';
export { createDownloadLinks, type DownloadLinks } from './download-links.js';

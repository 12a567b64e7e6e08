export { readMaxDevices, readMaxDevicesToAccept } from './tenants-repo.js';
export {
  createTenantsService,
  DEFAULT_TENANT_ID,
  type TenantsService,
  tenantErrors,
} from './tenants-service.js';

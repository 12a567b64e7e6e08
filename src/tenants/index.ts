export { readMaxDevices, type Tenant } from './tenants-repo.js';
export {
  createTenantsService,
  DEFAULT_TENANT_ID,
  MAX_TENANT_NAME_LENGTH,
  type TenantsService,
  tenantErrors,
} from './tenants-service.js';

import type { Clock } from '../core/clock.js';
import type { Module } from '../http/module.js';
import type { Db } from '../store/store.js';
import type { TokenKit } from '../tokens/token-kit.js';
import { createTenantsService, type TenantsService } from './tenants-service.js';

export { readMaxDevices, readMaxDevicesToAccept } from './tenants-repo.js';
export {
  DEFAULT_TENANT_ID,
  type TenantsService,
  tenantErrors,
} from './tenants-service.js';

export interface TenantsModule extends Module {
  service: TenantsService;
  /** Tenant names (the users domain shows them). */
  names: { nameOf(tenantId: string): Promise<string> };
}

/** The tenants domain: tenants and their tokens (no HTTP routes: tenants are managed from the CLI). */
export const createTenantsModule = (deps: {
  db: Db;
  clock: Clock;
  tokens: Pick<TokenKit, 'sign' | 'verify'>;
}): TenantsModule => {
  const service = createTenantsService(deps);
  return {
    routes: {},
    service,
    names: { nameOf: async (tenantId) => (await service.get(tenantId)).name },
  };
};

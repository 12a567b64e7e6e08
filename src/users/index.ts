import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Module } from '../http/module.js';
import type { Store } from '../store/store.js';
import type { TokenKit } from '../tokens/token-kit.js';
import { createLoginLimits, type LoginLimitSettings } from './users-login-limits.js';
import { usersLoginRoutes } from './users-routes-login.js';
import { usersMgmtRoutes } from './users-routes-mgmt.js';
import { usersSettingsRoutes } from './users-routes-settings.js';
import { createUsersService, type UsersService } from './users-service.js';
import type { TenantNames } from './users-types.js';

export type { UsersService } from './users-service.js';
export type { UserPrincipal } from './users-types.js';

export interface UsersModule extends Module {
  service: UsersService;
  /** Which user tokens still hold (live event streams end with theirs). */
  liveness: Pick<UsersService, 'liveTokenIds'>;
}

export interface UsersSettings {
  userTokenTtlSeconds: number;
  maxSessionsPerUser: number;
  /** Failed-login limits (docs/limits.md). */
  login: LoginLimitSettings;
}

/** The users domain: accounts, logins, user tokens, roles and the console's settings. */
export const createUsersModule = (deps: {
  store: Store;
  clock: Clock;
  logger: Pick<Logger, 'warn'>;
  tokens: Pick<TokenKit, 'sign' | 'verify'>;
  tenants: TenantNames;
  settings: UsersSettings;
}): UsersModule => {
  const { store, clock, settings } = deps;
  const service = createUsersService({
    db: store.db,
    clock,
    logger: deps.logger,
    tokens: deps.tokens,
    userTokenTtlSeconds: settings.userTokenTtlSeconds,
    maxSessionsPerUser: settings.maxSessionsPerUser,
    tenants: deps.tenants,
    limits: createLoginLimits({ store, clock, settings: settings.login }),
  });
  return {
    service,
    liveness: service,
    routes: {
      open: [usersLoginRoutes(service)],
      management: [usersMgmtRoutes(service), usersSettingsRoutes(service.settings)],
    },
  };
};

export { createLoginLimits } from './users-login-limits.js';
export { usersLoginRoutes } from './users-routes-login.js';
export { usersMgmtRoutes } from './users-routes-mgmt.js';
export { usersSettingsRoutes } from './users-routes-settings.js';
export { createUsersService, type UsersService } from './users-service.js';
export type { UserPrincipal } from './users-types.js';

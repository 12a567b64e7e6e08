export { createLoginLimits, type LoginLimits } from './users-login-limits.js';
export { usersLoginRoutes } from './users-routes-login.js';
export { usersMgmtRoutes } from './users-routes-mgmt.js';
export { usersSettingsRoutes } from './users-routes-settings.js';
export { createUsersService, type UsersService } from './users-service.js';
export type { Role, User, UserPrincipal } from './users-types.js';

import type { Role } from './users-types.js';

// Gatehouse's two fixed roles under the names Mender gives its equivalent built-in roles
// (enterprise RBAC), so that Mender's web UI, which knows those names, matches a user's `roles`
// with the roles list and shows the right controls. Mender's open-source useradm has neither
// roles nor `roles` on users; its UI then treats every user as an admin.

/** Mender's name of each Gatehouse role, as users' `roles` and the roles list carry it. */
export const menderRoleNames: Record<Role, string> = {
  admin: 'RBAC_ROLE_PERMIT_ALL',
  readonly: 'RBAC_ROLE_OBSERVER',
};

export interface PermissionSet {
  name: string;
  description: string;
  permissions: { action: 'any' | 'http'; object: { type: string; value: string } }[];
}

const readOf = (name: string, description: string, paths: string): PermissionSet => ({
  name,
  description,
  permissions: [{ action: 'http', object: { type: 'GET', value: `/api/management/v[0-9]+/${paths}/.*` } }],
});

/** The permission sets the two roles are made of (names as in Mender's RBAC). */
export const permissionSets: readonly PermissionSet[] = [
  {
    name: 'SuperUser',
    description: 'Everything the management API offers',
    permissions: [{ action: 'any', object: { type: 'any', value: '.*' } }],
  },
  readOf(
    'ReadDevices',
    'List and read devices, their groups and deployments',
    '(devauth|inventory|deployments)',
  ),
  readOf('ReadReleases', 'List and read releases and artifacts', 'deployments'),
  readOf('ReadUsers', 'List and read users', 'useradm'),
];

export interface RoleDefinition {
  name: string;
  description: string;
  permissionSets: string[];
}

/**
 * The roles, in the order listed. Read-only users may make every GET and the searches that are
 * sent as POST (docs/compat/mender-ui.md), nothing else.
 */
export const roleDefinitions: readonly RoleDefinition[] = [
  {
    name: menderRoleNames.admin,
    description: 'Full access (Gatehouse role admin)',
    permissionSets: ['SuperUser'],
  },
  {
    name: menderRoleNames.readonly,
    description: 'Read access: every list and read, no change (Gatehouse role readonly)',
    permissionSets: ['ReadDevices', 'ReadReleases', 'ReadUsers'],
  },
];

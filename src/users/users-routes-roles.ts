import { Type } from 'typebox';
import { offsetOf, parsePage } from '../core/pagination.js';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import { permissionSets, roleDefinitions } from './users-roles.js';

const V2 = '/api/management/v2/useradm';
const tags = ['Users'];
const PageQuery = Type.Object({
  page: Type.Optional(Type.String({ maxLength: 10 })),
  per_page: Type.Optional(Type.String({ maxLength: 10 })),
});

const RoleWire = Type.Object({
  name: Type.String(),
  description: Type.String(),
  permission_sets_with_scope: Type.Array(Type.Object({ name: Type.String() })),
});
const PermissionSetWire = Type.Object({
  name: Type.String(),
  description: Type.String(),
  permissions: Type.Array(
    Type.Object({
      action: Type.String(),
      object: Type.Object({ type: Type.String(), value: Type.String() }),
    }),
  ),
});

const page = <T>(items: readonly T[], query: { page?: string; per_page?: string }): T[] => {
  const p = parsePage(query);
  return items.slice(offsetOf(p), offsetOf(p) + p.perPage);
};

/**
 * Mender's RBAC roles and permission sets (useradm v2, enterprise) as Mender's web UI reads them:
 * Gatehouse's two fixed roles under Mender's names (users-roles.ts). They cannot be changed.
 */
export const usersRolesRoutes = () => async (app: App) => {
  app.get(
    `${V2}/roles`,
    {
      schema: {
        tags,
        summary: 'The roles users can have: RBAC_ROLE_PERMIT_ALL (admin) and RBAC_ROLE_OBSERVER (readonly)',
        description:
          "Fixed. A user's `roles` names one of them: `RBAC_ROLE_PERMIT_ALL` for role `admin`, `RBAC_ROLE_OBSERVER` for `readonly`.",
        querystring: PageQuery,
        response: { 200: Type.Array(RoleWire), ...errorResponses(400, 401) },
      },
    },
    async (req) =>
      page(roleDefinitions, req.query).map((r) => ({
        name: r.name,
        description: r.description,
        permission_sets_with_scope: r.permissionSets.map((name) => ({ name })),
      })),
  );

  app.get(
    `${V2}/permission_sets`,
    {
      schema: {
        tags,
        summary: 'The permission sets the roles are made of',
        querystring: PageQuery,
        response: { 200: Type.Array(PermissionSetWire), ...errorResponses(400, 401) },
      },
    },
    async (req) => page(permissionSets, req.query),
  );
};

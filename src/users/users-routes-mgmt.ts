import { Type } from 'typebox';
import { READ_ONLY_SAFE } from '../http/auth-hooks.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { usersErrors } from './users-errors.js';
import { usersRolesRoutes } from './users-routes-roles.js';
import {
  MeWire,
  NewPatBody,
  NewUserBody,
  PatWire,
  patToWire,
  UpdateUserBody,
  UserWire,
  userToWire,
} from './users-schemas.js';
import type { UsersService } from './users-service.js';
import type { UserPrincipal } from './users-types.js';

const BASE = '/api/management/v1/useradm';
const tags = ['Users'];
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

const requireAdmin = (p: UserPrincipal) => {
  if (p.role !== 'admin') throw usersErrors.adminOnly();
};

export const usersMgmtRoutes = (service: UsersService) => async (app: App) => {
  await app.register(usersRolesRoutes());

  app.post(
    `${BASE}/auth/logout`,
    {
      config: READ_ONLY_SAFE,
      schema: {
        tags,
        summary: 'Log out (revokes this token)',
        response: { 202: EmptyBody, ...errorResponses(401) },
      },
    },
    async (req, reply) => {
      await service.logout(userOf(req));
      return reply.code(202).send();
    },
  );

  app.get(
    `${BASE}/users`,
    {
      schema: {
        tags,
        summary: 'List the users of your tenant',
        response: { 200: Type.Array(UserWire), ...errorResponses(401) },
      },
    },
    async (req) => (await service.list(userOf(req).tenantId)).map(userToWire),
  );

  app.post(
    `${BASE}/users`,
    {
      schema: {
        tags,
        summary: 'Create a user in your tenant (admin)',
        body: NewUserBody,
        response: { 201: EmptyBody, ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (req, reply) => {
      const p = userOf(req);
      requireAdmin(p);
      const u = await service.create({ tenantId: p.tenantId, ...req.body });
      return reply.code(201).header('Location', `${BASE}/users/${u.id}`).send();
    },
  );

  app.get(
    `${BASE}/users/me`,
    {
      schema: {
        tags,
        summary: 'Yourself, with your role and tenant',
        description:
          'The user behind the token (a login session or a personal access token) and their tenant. `PUT /users/me` changes your email or password.',
        response: { 200: MeWire, ...errorResponses(401) },
      },
    },
    async (req) => {
      const { user, tenant } = await service.me(userOf(req));
      return { ...userToWire(user), tenant };
    },
  );

  app.get(
    `${BASE}/users/:id`,
    {
      schema: {
        tags,
        summary: 'Get a user ("me" for yourself)',
        params: IdParams,
        response: { 200: UserWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => {
      const p = userOf(req);
      return userToWire(await service.get(p.tenantId, req.params.id === 'me' ? p.userId : req.params.id));
    },
  );

  app.put(
    `${BASE}/users/:id`,
    {
      schema: {
        tags,
        summary: "Change a user's email or password (admin, or yourself)",
        description:
          "Changing your own password needs `current_password` (422 without it or when it does not match); an admin setting another user's password does not. A new password ends all of the user's tokens, login sessions and personal access tokens alike, except the token that made the change when it is the user's own (docs/adr/0014-faults-named-not-hidden.md).",
        params: IdParams,
        body: UpdateUserBody,
        response: { 204: EmptyBody, ...errorResponses(400, 401, 403, 404, 422, 429) },
      },
    },
    async (req, reply) => {
      const p = userOf(req);
      const id = req.params.id === 'me' ? p.userId : req.params.id;
      if (id !== p.userId) requireAdmin(p);
      await service.update(
        p.tenantId,
        id,
        { email: req.body.email, password: req.body.password, currentPassword: req.body.current_password },
        p,
        req.ip,
      );
      return reply.code(204).send();
    },
  );

  app.delete(
    `${BASE}/users/:id`,
    {
      schema: {
        tags,
        summary: 'Delete a user (admin)',
        params: IdParams,
        response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      const p = userOf(req);
      requireAdmin(p);
      await service.remove(p.tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    `${BASE}/settings/tokens`,
    {
      schema: {
        tags,
        summary: 'Create a personal access token',
        body: NewPatBody,
        response: {
          200: {
            description: 'the token (bare JWT); shown once',
            content: { 'application/jwt': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 409, 422),
        },
      },
    },
    async (req, reply) => {
      const token = await service.createPat(userOf(req), {
        name: req.body.name,
        expiresInSeconds: req.body.expires_in,
      });
      return reply.code(200).type('application/jwt').send(token);
    },
  );

  app.get(
    `${BASE}/settings/tokens`,
    {
      schema: {
        tags,
        summary: 'List your personal access tokens',
        response: { 200: Type.Array(PatWire), ...errorResponses(401) },
      },
    },
    async (req) => (await service.listPats(userOf(req))).map(patToWire),
  );

  app.delete(
    `${BASE}/settings/tokens/:id`,
    {
      schema: {
        tags,
        summary: 'Revoke a personal access token',
        params: IdParams,
        response: { 204: EmptyBody, ...errorResponses(401, 404) },
      },
    },
    async (req, reply) => {
      await service.revokePat(userOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
};

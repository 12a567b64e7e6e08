import { Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { menderRoleNames } from './users-roles.js';
import type { User, UserToken } from './users-types.js';

export const UserWire = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.String(),
  roles: Type.Array(Type.String(), {
    description: "Mender's name of the role (RBAC_ROLE_PERMIT_ALL: admin, RBAC_ROLE_OBSERVER: readonly)",
  }),
  created_ts: Type.String(),
  updated_ts: Type.String(),
  login_ts: Type.Optional(Type.String()),
});

export const MeWire = Type.Object({
  ...UserWire.properties,
  tenant: Type.Object({ id: Type.String(), name: Type.String() }),
});

export const NewUserBody = Type.Object({
  email: Type.String({ maxLength: 254 }),
  password: Type.String({ maxLength: 256 }),
  role: Type.Optional(Type.String({ maxLength: 32, description: 'admin (default) or readonly' })),
});

export const UpdateUserBody = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 254 })),
  password: Type.Optional(Type.String({ maxLength: 256 })),
  current_password: Type.Optional(Type.String({ maxLength: 256 })),
});

export const NewPatBody = Type.Object({
  name: Type.String({ maxLength: 100 }),
  expires_in: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 31_536_000, description: 'seconds; 0 = never' }),
  ),
});

export const PatWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  created_ts: Type.String(),
  expiration_date: Type.Optional(Type.String()),
  last_used: Type.Optional(Type.String()),
});

export const userToWire = (u: User) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  roles: [menderRoleNames[u.role]],
  created_ts: toRfc3339(u.createdAt),
  updated_ts: toRfc3339(u.updatedAt),
  ...(u.loginAt !== null ? { login_ts: toRfc3339(u.loginAt) } : {}),
});

export const patToWire = (t: UserToken) => ({
  id: t.id,
  name: t.name ?? '',
  created_ts: toRfc3339(t.createdAt),
  ...(t.expiresAt !== null ? { expiration_date: toRfc3339(t.expiresAt) } : {}),
  ...(t.lastUsedAt !== null ? { last_used: toRfc3339(t.lastUsedAt) } : {}),
});

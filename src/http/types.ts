import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Actor, DevicePrincipal } from '../devauth/index.js';
import type { UserPrincipal } from '../users/index.js';

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the device-token hook on device routes. */
    device: DevicePrincipal | null;
    /** Set by the user-token hook on management routes. */
    user: UserPrincipal | null;
  }
}

/** The principal on a route guarded by the matching hook (which guarantees it is set). */
export const deviceOf = (req: { device: DevicePrincipal | null }): DevicePrincipal => {
  if (!req.device) throw new Error('device route without device authentication hook');
  return req.device;
};

export const userOf = (req: { user: UserPrincipal | null }): UserPrincipal => {
  if (!req.user) throw new Error('management route without user authentication hook');
  return req.user;
};

/** The user behind a management request, as events record who made a change. */
export const actorOf = (req: { user: UserPrincipal | null }): Actor => {
  const p = userOf(req);
  return { type: 'user', id: p.userId, email: p.email, token_kind: p.tokenKind };
};

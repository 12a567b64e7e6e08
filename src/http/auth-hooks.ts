import type { FastifyRequest } from 'fastify';
import { AppError } from '../core/errors.js';
import type { DevicePrincipal } from '../devauth/index.js';
import type { UserPrincipal } from '../users/index.js';

/**
 * Request hooks that turn `Authorization: Bearer <token>` into a principal. A device token is
 * refused on management routes and a user token on device routes: each hook asks only its own
 * domain, which looks the token id up in its own table.
 */
export const bearerToken = (req: FastifyRequest): string | undefined => {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^bearer[ ]+(\S+)\s*$/i.exec(h);
  return m?.[1];
};

/**
 * Route config of a request read-only users may make although it is not a GET: a POST that only
 * reads (a search), logging out, and keeping their own console settings.
 */
export const READ_ONLY_SAFE = { readOnlySafe: true } as const;

const noAuthHeader = () => new AppError('AUTH_MISSING', 401, 'Authorization not present in header');
const badToken = () => new AppError('AUTH_INVALID', 401, 'unauthorized');

export const deviceAuthHook =
  (checkToken: (token: string) => Promise<DevicePrincipal | null>) =>
  async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req);
    if (!token) throw noAuthHeader();
    const principal = await checkToken(token);
    if (!principal) throw badToken();
    req.device = principal;
  };

export const userAuthHook =
  (checkToken: (token: string) => Promise<UserPrincipal | null>) =>
  async (req: FastifyRequest): Promise<void> => {
    const token = bearerToken(req);
    if (!token) throw noAuthHeader();
    const principal = await checkToken(token);
    if (!principal) throw badToken();
    // Read-only users may look but not change anything (READ_ONLY_SAFE routes excepted).
    const safe =
      req.method === 'GET' ||
      req.method === 'HEAD' ||
      (req.routeOptions.config as { readOnlySafe?: boolean } | undefined)?.readOnlySafe === true;
    if (principal.role === 'readonly' && !safe)
      throw new AppError('AUTH_READ_ONLY', 403, 'forbidden: read-only user');
    req.user = principal;
  };

import { Type } from 'typebox';
import { parseBasicAuth } from '../http/basic-auth.js';
import { installJsonBodyParser } from '../http/json-body.js';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import { usersErrors } from './users-errors.js';
import type { UsersService } from './users-service.js';

/**
 * POST /api/management/v1/useradm/auth/login: HTTP Basic in, bare JWT out (no trailing
 * newline; mender-cli stores the body verbatim). mender-cli sends `Content-Type:
 * application/json` with an empty body, so an empty JSON body is allowed here.
 */
export const usersLoginRoutes = (service: Pick<UsersService, 'login'>) => async (app: App) => {
  installJsonBodyParser(app, { allowEmpty: true, bodyLimit: 4096 });

  app.post(
    '/api/management/v1/useradm/auth/login',
    {
      bodyLimit: 4096,
      schema: {
        tags: ['Users'],
        summary: 'Log in with HTTP Basic (email:password)',
        description:
          'An optional JSON body ({"no_expiry": bool} or mender-cli\'s {"token2fa": "..."}) is accepted and ignored; an empty body with Content-Type application/json is fine.',
        response: {
          200: {
            description: 'the user token (bare JWT)',
            content: { 'application/jwt': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 429),
        },
      },
    },
    async (req, reply) => {
      const creds = parseBasicAuth(req.headers.authorization);
      if (!creds) throw usersErrors.missingBasicAuth();
      const token = await service.login(creds.user, creds.password, req.ip);
      return reply.code(200).type('application/jwt').send(token);
    },
  );
};

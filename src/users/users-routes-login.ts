import { Type } from 'typebox';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import { usersErrors } from './users-errors.js';
import type { UsersService } from './users-service.js';

const MAX_BASIC_AUTH_LENGTH = 1024;

/**
 * POST /api/management/v1/useradm/auth/login: HTTP Basic in, bare JWT out (no trailing
 * newline; mender-cli stores the body verbatim). mender-cli sends `Content-Type:
 * application/json` with an empty body, so an empty JSON body is allowed here.
 */
export const usersLoginRoutes = (service: Pick<UsersService, 'login'>) => async (app: App) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
    const text = String(body).trim();
    if (text === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('malformed JSON body'), { statusCode: 400 }), undefined);
    }
  });

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
      const h = req.headers.authorization;
      if (typeof h !== 'string' || h.length > MAX_BASIC_AUTH_LENGTH) throw usersErrors.missingBasicAuth();
      const m = /^basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
      if (!m?.[1]) throw usersErrors.missingBasicAuth();
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const sep = decoded.indexOf(':');
      if (sep < 0) throw usersErrors.missingBasicAuth();
      const token = await service.login(decoded.slice(0, sep), decoded.slice(sep + 1), req.ip);
      return reply.code(200).type('application/jwt').send(token);
    },
  );
};

import { Type } from 'typebox';
import { bearerToken } from '../http/auth-hooks.js';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import { MAX_AUTH_REQUEST_BYTES } from './auth-request.js';
import { AuthRequestBody } from './devauth-schemas.js';
import type { DeviceAuthService } from './devauth-service-device.js';

/**
 * POST /api/devices/v1/authentication/auth_requests. The body is kept as raw bytes: the
 * signature covers them exactly (trailing newline included), so it must be checked before any
 * JSON re-serialisation. The Authorization header here carries the tenant token, not a JWT.
 */
export const devauthDeviceRoutes = (service: Pick<DeviceAuthService, 'authenticate'>) => async (app: App) => {
  // Only JSON is accepted here (415 otherwise, as deviceauth does), and it is kept as bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: MAX_AUTH_REQUEST_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.post(
    '/api/devices/v1/authentication/auth_requests',
    {
      bodyLimit: MAX_AUTH_REQUEST_BYTES,
      // The schema documents the body; the handler parses the raw bytes itself.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['Device authentication'],
        summary: 'Authenticate a device (signed auth request)',
        headers: Type.Object({ 'x-men-signature': Type.Optional(Type.String()) }),
        body: AuthRequestBody,
        response: {
          200: {
            description: 'the device token (a bare JWT, no trailing newline)',
            content: { 'application/jwt': { schema: Type.String() } },
          },
          ...errorResponses(400, 401, 413, 415, 429),
        },
      },
    },
    async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const sig = req.headers['x-men-signature'];
      const token = await service.authenticate({
        body,
        signature: Array.isArray(sig) ? sig[0] : sig,
        bearer: bearerToken(req),
        // Certificate-based admission: the TLS client certificate or a trusted proxy's header (ADR 11).
        clientCertificate: (tenantHint) => req.verifyClientCert(tenantHint),
        sourceAddress: req.ip,
      });
      return reply.code(200).type('application/jwt').send(token);
    },
  );
};

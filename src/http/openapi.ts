import swagger from '@fastify/swagger';
import type { App } from './types.js';

export const OPENAPI_PATH = '/api/openapi.json';

/** Registers OpenAPI generation from the route schemas; must run before routes are added. */
export const registerOpenApi = async (app: App, version: string): Promise<void> => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Gatehouse API',
        version,
        description:
          'Device identity, authentication, provisioning and bootstrap. Device and management routes are compatible with the Mender server API of the same paths.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
};

export const openApiRoute = (app: App): void => {
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
};

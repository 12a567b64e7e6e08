import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type RouteOptions,
} from 'fastify';
import { Type } from 'typebox';
import type { Logger } from './core/logger.js';
import { createEventStreamHub, eventStreamRoutes } from './events/index.js';
import { deviceAuthHook, userAuthHook } from './http/auth-hooks.js';
import { installClientCertAuth } from './http/client-cert.js';
import {
  connectionLimitsOf,
  fastifyServerOptions,
  installBodyDeadline,
  limitConnectionsPerAddress,
} from './http/connection-limits.js';
import { installConsole } from './http/console.js';
import { clientErrorHandler, frameworkErrorHandler, installErrorHandling } from './http/error-handler.js';
import { installJsonBodyParser } from './http/json-body.js';
import type { RoutePlugin } from './http/module.js';
import { installNulGuard } from './http/nul-guard.js';
import { openApiRoute, registerOpenApi } from './http/openapi.js';
import { genReqId } from './http/request-id.js';
import { ErrorBody, errorResponses } from './http/schemas-common.js';
import { createTrustedProxies } from './http/trusted-proxies.js';
import type { App } from './http/types.js';
import type { Gatehouse } from './wiring.js';

export const VERSION = '0.1.0';
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** A ready logger (the process logger of `serve`); wins over `logger`. */
  loggerInstance?: Logger;
  /** Comment interval of live event streams (default 15 s, at most half the idle timeout). */
  eventStreamHeartbeatMs?: number;
  /**
   * Sees every answer (request, status and headers, serialised body) before it is sent, and may
   * not change it; the contract tests check answers against Mender's published API with it.
   */
  observeResponse?: (req: FastifyRequest, reply: FastifyReply, payload: unknown) => void;
}

export { loggerOptions } from './core/logger.js';

/** Marks a route as bearer-authenticated in the OpenAPI document. */
const documentBearer = (route: RouteOptions): void => {
  route.schema = { ...route.schema, security: [{ bearer: [] }] } as RouteOptions['schema'];
};

/** Builds the HTTP application (not listening). Used by `serve` and by tests via inject(). */
export const buildApp = async (gh: Gatehouse, opts: AppOptions = {}): Promise<App> => {
  const limits = connectionLimitsOf(gh.config);
  const trustedProxies = createTrustedProxies(gh.config.trustedProxies);
  const app = Fastify({
    // Header, body, keep-alive and idle timeouts (docs/limits.md); the TLS listener copies them.
    ...fastifyServerOptions(limits),
    ...(opts.loggerInstance ? { loggerInstance: opts.loggerInstance } : { logger: opts.logger ?? false }),
    genReqId,
    requestIdHeader: false,
    bodyLimit: DEFAULT_BODY_LIMIT_BYTES,
    // No type coercion: `"force": "true"` or `"value": true` is an error, not a guess.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, allErrors: false } },
    return503OnClosing: true,
    // Router errors (a bad escape or an overlong segment in the path) in the JSON error shape.
    frameworkErrors: frameworkErrorHandler,
    // The router's default (100 characters) is shorter than names the schemas allow in a path
    // (external ids up to 256 characters, group names up to 1024), percent-encoded at that; the
    // route schema's maxLength is the limit that answers 400, this only refuses the absurd (414).
    routerOptions: { maxParamLength: 4096 },
    // Requests Node's parser refuses (raw NUL, header overflow): the same JSON error shape.
    clientErrorHandler,
    // X-Forwarded-* (req.protocol, req.host, req.ip) count only from the configured edge proxies.
    trustProxy: gh.config.trustedProxies.length > 0 ? [...gh.config.trustedProxies] : false,
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;

  limitConnectionsPerAddress(app.server, limits, trustedProxies);
  installBodyDeadline(app, limits);
  app.decorateRequest('device', null);
  app.decorateRequest('user', null);
  // req.clientCert: a client certificate from our TLS listener or a trusted proxy (ADR 9).
  installClientCertAuth(app, {
    verifyClientCertificate: gh.pki.verifyClientCertificate,
    clock: gh.clock,
    trustedProxies,
    clientCertHeader: gh.config.clientCertHeader,
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('X-MEN-RequestID', req.id);
  });
  const observeResponse = opts.observeResponse;
  if (observeResponse) {
    app.addHook('onSend', async (req, reply, payload) => {
      observeResponse(req, reply, payload);
    });
  }
  // The console's page fallback is decided when no route matched; it reads the folder then.
  let consolePage: Awaited<ReturnType<typeof installConsole>> | undefined;
  installErrorHandling(app, {
    notFound: (req, reply) => consolePage?.(req, reply) ?? Promise.resolve(false),
  });
  // Every JSON body: valid UTF-8 and nested at most MAX_JSON_DEPTH deep, checked before parsing.
  installJsonBodyParser(app);
  // No route takes text/plain: like any other type a route does not parse, it is a 415 (Fastify
  // would parse it and hand a string to routes that take no body).
  app.removeContentTypeParser('text/plain');
  installNulGuard(app);
  await registerOpenApi(app, VERSION);
  app.addSchema(ErrorBody);
  openApiRoute(app);

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['Tokens'],
        summary: 'Public keys that verify Gatehouse tokens (device, user and tenant tokens)',
        response: { 200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }) },
      },
    },
    async () => gh.tokens.jwks(),
  );
  app.get(
    '/api/health',
    {
      schema: {
        tags: ['Health'],
        summary: 'Liveness',
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/api/health/ready',
    {
      schema: {
        tags: ['Health'],
        summary: 'Readiness: the database answers',
        description:
          'One trivial query. 503 with Retry-After while the database does not answer (within GATEHOUSE_DB_CONNECT_TIMEOUT_MS / GATEHOUSE_DB_QUERY_TIMEOUT_MS on PostgreSQL). /api/health stays a liveness check that touches nothing.',
        response: { 200: Type.Object({ status: Type.String() }), ...errorResponses(503) },
      },
    },
    async () => {
      await gh.store.ping();
      return { status: 'ok' };
    },
  );

  const routesOf = (audience: 'open' | 'device' | 'management'): RoutePlugin[] =>
    gh.modules.flatMap((m) => m.routes[audience] ?? []);
  // Routes that authenticate on their own (auth requests, bootstrap fetches, EST, downloads).
  for (const routes of routesOf('open')) await app.register(routes);

  await app.register(async (device: App) => {
    device.addHook('onRoute', documentBearer);
    device.addHook('onRequest', deviceAuthHook(gh.devauth.device.checkToken));
    for (const routes of routesOf('device')) await device.register(routes);
  });

  // Live events: one outbox poller for the process, started by the first open stream. Streams
  // end before the server closes (it waits for open responses), the poller after.
  const eventStreams = createEventStreamHub({
    db: gh.store.db,
    clock: gh.clock,
    logger: app.log,
    pollMs: gh.config.eventsPollMs,
    maxStreams: gh.config.eventsMaxStreams,
    maxStreamsPerUser: gh.config.eventsMaxStreamsPerUser,
    userTokens: gh.users.liveness,
  });
  app.addHook('preClose', async () => eventStreams.endAll('server shutting down'));
  app.addHook('onClose', async () => eventStreams.stop());
  const heartbeatMs =
    opts.eventStreamHeartbeatMs ??
    (limits.idleTimeoutMs > 0 ? Math.min(15_000, Math.floor(limits.idleTimeoutMs / 2)) : 15_000);

  await app.register(async (mgmt: App) => {
    mgmt.addHook('onRoute', documentBearer);
    mgmt.addHook('onRequest', userAuthHook(gh.users.service.checkToken));
    for (const routes of routesOf('management')) await mgmt.register(routes);
    await mgmt.register(eventStreamRoutes({ hub: eventStreams, db: gh.store.db, heartbeatMs }));
  });

  consolePage = await installConsole(app, gh.config.consoleDir);

  return app;
};

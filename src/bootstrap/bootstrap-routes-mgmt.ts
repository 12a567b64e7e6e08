import type { FastifyReply, FastifyRequest } from 'fastify';
import { installJsonBodyParser } from '../http/json-body.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import {
  CertsBody,
  CertsView,
  ConfigList,
  ConfigParams,
  ConfigView,
  ConnectionsBody,
  CreateConfigBody,
  configToWire,
  DeviceLinkBody,
  DomainParams,
  HoldBody,
  ListQuery,
  SettingsWire,
  StateBody,
  UpdateConfigBody,
} from './bootstrap-schemas.js';
import type { BootstrapConfigsService } from './bootstrap-service-configs.js';
import { MAX_LIST_LIMIT } from './bootstrap-types.js';

export const BOOTSTRAP_BASE = '/bootstrap';
const tags = ['Bootstrap (management)'];

/** The `{domainID}` of a management path must be the caller's tenant; anything else is a 404. */
export const tenantOf = (req: Parameters<typeof userOf>[0] & { params: { domainID: string } }): string => {
  const { tenantId } = userOf(req);
  if (req.params.domainID.toLowerCase() !== tenantId) throw bootstrapErrors.domainNotFound();
  return tenantId;
};

/**
 * Magistrala answers a body that is not `application/json` with 415 (Fastify would parse text/plain
 * and fail validation with 400).
 */
export const requireJsonBody = async (req: FastifyRequest): Promise<void> => {
  if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return;
  if (
    !String(req.headers['content-type'] ?? '')
      .toLowerCase()
      .includes('application/json')
  )
    throw bootstrapErrors.unsupportedMediaType();
};

/**
 * Magistrala's error bodies carry `message` beside `error`, and its TypeScript SDK reports only
 * `message`: errors raised outside the bootstrap domain (request validation, body parsing) get it
 * too, with the same text. An onSend hook, so it sees every error body these routes answer.
 */
export const withErrorMessage = async (
  _req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> => {
  if (reply.statusCode < 400 || typeof payload !== 'string') return payload;
  let body: unknown;
  try {
    body = JSON.parse(payload);
  } catch {
    return payload;
  }
  if (typeof body !== 'object' || body === null) return payload;
  const { error, message } = body as { error?: unknown; message?: unknown };
  if (typeof error !== 'string' || message !== undefined) return payload;
  return JSON.stringify({ ...body, message: error });
};

/** Magistrala's offset/limit paging: offset ≥ 0 (default 0), 0 ≤ limit ≤ 100 (default 10). */
export const parseOffsetLimit = (q: { offset?: string; limit?: string }) => {
  const offset = q.offset === undefined ? 0 : Number(q.offset);
  const limit = q.limit === undefined ? 10 : Number(q.limit);
  if (limit > MAX_LIST_LIMIT) throw bootstrapErrors.badRequest(`limit must be at most ${MAX_LIST_LIMIT}`);
  return { offset, limit };
};

/**
 * Magistrala-compatible config management (docs/compat/magistrala-bootstrap.md#management-routes),
 * at `/bootstrap/{domainID}/...`
 * so that an SDK whose bootstrap URL is `<gatehouse>/bootstrap` works. Differences are listed in
 * docs/adr/0008-bootstrap.md.
 */
export const bootstrapMgmtRoutes = (service: BootstrapConfigsService) => async (app: App) => {
  const base = `${BOOTSTRAP_BASE}/:domainID/clients`;
  app.addHook('preValidation', requireJsonBody);
  app.addHook('onSend', withErrorMessage);
  // Magistrala's TypeScript SDK sends `Content-Type: application/json` and no body on DELETE.
  installJsonBodyParser(app, { emptyDeleteIsNoBody: true });

  app.post(
    `${base}/configs`,
    {
      schema: {
        tags,
        summary:
          'Create a bootstrap config (it delivers at once unless held; its client is connected once its state is set to 1)',
        params: DomainParams,
        body: CreateConfigBody,
        response: { 201: EmptyBody, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const c = await service.create(tenantOf(req), {
        externalId: b.external_id,
        externalKey: b.external_key,
        clientId: b.client_id,
        clientSecret: b.client_secret,
        channels: b.channels,
        name: b.name,
        content: b.content,
        contentTemplate: b.content_template,
        clientCert: b.client_cert,
        clientKey: b.client_key,
        caCert: b.ca_cert,
        deviceId: b.device_id,
        held: b.held,
      });
      // Exactly Magistrala's Location (no base, no domain): its SDK strips "/clients/configs/".
      return reply.code(201).header('Location', `/clients/configs/${c.id}`).send();
    },
  );

  app.get(
    `${base}/configs`,
    {
      schema: {
        tags,
        summary:
          'List bootstrap configs (filters: state, held, external_id, client_id, client_key, name, device_id)',
        params: DomainParams,
        querystring: ListQuery,
        response: { 200: ConfigList, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const q = req.query;
      const page = parseOffsetLimit(q);
      const { configs, total } = await service.list(tenantOf(req), {
        ...page,
        state: q.state === undefined ? undefined : q.state === '1' ? 1 : 0,
        held: q.held === undefined ? undefined : q.held === 'true',
        externalId: q.external_id,
        clientId: q.client_id,
        clientSecret: q.client_key,
        name: q.name,
        deviceId: q.device_id,
      });
      return { total, ...page, configs: configs.map(configToWire) };
    },
  );

  app.get(
    `${base}/configs/:configID`,
    {
      schema: {
        tags,
        summary: 'Read a bootstrap config (never its secrets)',
        params: ConfigParams,
        response: { 200: ConfigView, ...errorResponses(401, 404) },
      },
    },
    async (req) => configToWire(await service.get(tenantOf(req), req.params.configID)),
  );

  app.put(
    `${base}/configs/:configID`,
    {
      schema: {
        tags,
        summary: 'Replace name and content (absent = empty), and the template mode when given',
        params: ConfigParams,
        body: UpdateConfigBody,
        response: { 200: EmptyBody, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (req, reply) => {
      await service.update(tenantOf(req), req.params.configID, {
        name: req.body.name,
        content: req.body.content,
        contentTemplate: req.body.content_template,
      });
      return reply.code(200).send();
    },
  );

  app.delete(
    `${base}/configs/:configID`,
    {
      schema: {
        tags,
        summary: 'Remove a bootstrap config',
        params: ConfigParams,
        response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await service.remove(tenantOf(req), req.params.configID);
      return reply.code(204).send();
    },
  );

  app.patch(
    `${base}/configs/certs/:configID`,
    {
      schema: {
        tags,
        summary: 'Replace client_cert, client_key and ca_cert (the key is not echoed back)',
        params: ConfigParams,
        body: CertsBody,
        response: { 200: CertsView, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req) => {
      const c = await service.updateCerts(tenantOf(req), req.params.configID, {
        clientCert: req.body.client_cert,
        clientKey: req.body.client_key,
        caCert: req.body.ca_cert,
      });
      return {
        client_id: c.id,
        ...(c.clientCert !== null ? { client_cert: c.clientCert } : {}),
        ...(c.caCert !== null ? { ca_cert: c.caCert } : {}),
      };
    },
  );

  app.put(
    `${base}/configs/connections/:configID`,
    {
      schema: {
        tags,
        summary: "Replace the config's channel list (new channels follow the config's state)",
        params: ConfigParams,
        body: ConnectionsBody,
        response: { 200: EmptyBody, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req, reply) => {
      await service.updateConnections(tenantOf(req), req.params.configID, req.body.channels);
      return reply.code(200).send();
    },
  );

  app.put(
    `${base}/configs/:configID/device`,
    {
      schema: {
        tags,
        summary: 'Link the config to a Gatehouse device (or unlink with null)',
        params: ConfigParams,
        body: DeviceLinkBody,
        response: { 200: ConfigView, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (req) =>
      configToWire(await service.linkDevice(tenantOf(req), req.params.configID, req.body.device_id)),
  );

  app.put(
    `${base}/state/:configID`,
    {
      schema: {
        tags,
        summary:
          "Connect (1) the config's client to its channels or disconnect it (0); delivery is governed by hold",
        params: ConfigParams,
        body: StateBody,
        response: { 200: EmptyBody, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req, reply) => {
      await service.setState(tenantOf(req), req.params.configID, req.body.state);
      return reply.code(200).send();
    },
  );

  app.put(
    `${base}/configs/:configID/hold`,
    {
      schema: {
        tags,
        summary: 'Hold (true: the device routes refuse it, like an unknown external id) or release a config',
        params: ConfigParams,
        body: HoldBody,
        response: { 200: ConfigView, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req) => configToWire(await service.setHeld(tenantOf(req), req.params.configID, req.body.held)),
  );

  app.get(
    `${BOOTSTRAP_BASE}/:domainID/settings`,
    {
      schema: {
        tags,
        summary: "The tenant's bootstrap settings (whether new configs start held)",
        params: DomainParams,
        response: { 200: SettingsWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => ({ hold_new_configs: (await service.getSettings(tenantOf(req))).holdNewConfigs }),
  );

  app.put(
    `${BOOTSTRAP_BASE}/:domainID/settings`,
    {
      schema: {
        tags,
        summary: "Replace the tenant's bootstrap settings",
        params: DomainParams,
        body: SettingsWire,
        response: { 200: SettingsWire, ...errorResponses(400, 401, 403, 404, 415) },
      },
    },
    async (req) => {
      const s = await service.setSettings(tenantOf(req), { holdNewConfigs: req.body.hold_new_configs });
      return { hold_new_configs: s.holdNewConfigs };
    },
  );
};

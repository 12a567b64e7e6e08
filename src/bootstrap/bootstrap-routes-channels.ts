import { installJsonBodyParser } from '../http/json-body.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';
import {
  BOOTSTRAP_BASE,
  parseOffsetLimit,
  requireJsonBody,
  tenantOf,
  withErrorMessage,
} from './bootstrap-routes-mgmt.js';
import {
  ChannelBody,
  ChannelList,
  ChannelParams,
  ChannelWire,
  channelToWire,
  DomainParams,
  PageQuery,
} from './bootstrap-schemas.js';
import type { BootstrapChannelsService } from './bootstrap-service-channels.js';

const tags = ['Bootstrap (channels)'];

/** Channels: named per-tenant resources that configs refer to (Gatehouse's own API). */
export const bootstrapChannelRoutes = (service: BootstrapChannelsService) => async (app: App) => {
  const base = `${BOOTSTRAP_BASE}/:domainID/channels`;
  app.addHook('preValidation', requireJsonBody);
  app.addHook('onSend', withErrorMessage);
  // Magistrala's TypeScript SDK sends `Content-Type: application/json` and no body on DELETE.
  installJsonBodyParser(app, { emptyDeleteIsNoBody: true });

  app.post(
    base,
    {
      schema: {
        tags,
        summary: 'Create a channel',
        params: DomainParams,
        body: ChannelBody,
        response: { 201: ChannelWire, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (req, reply) => {
      const c = await service.create(tenantOf(req), req.body);
      return reply
        .code(201)
        .header('Location', `${BOOTSTRAP_BASE}/${c.tenantId}/channels/${c.id}`)
        .send(channelToWire(c));
    },
  );

  app.get(
    base,
    {
      schema: {
        tags,
        summary: 'List channels (by name)',
        params: DomainParams,
        querystring: PageQuery,
        response: { 200: ChannelList, ...errorResponses(400, 401, 404) },
      },
    },
    async (req) => {
      const page = parseOffsetLimit(req.query);
      const { channels, total } = await service.list(tenantOf(req), page);
      return { total, ...page, channels: channels.map(channelToWire) };
    },
  );

  app.get(
    `${base}/:channelID`,
    {
      schema: {
        tags,
        summary: 'Read a channel',
        params: ChannelParams,
        response: { 200: ChannelWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => channelToWire(await service.get(tenantOf(req), req.params.channelID)),
  );

  app.put(
    `${base}/:channelID`,
    {
      schema: {
        tags,
        summary: 'Rename a channel (and replace its metadata when given)',
        params: ChannelParams,
        body: ChannelBody,
        response: { 200: ChannelWire, ...errorResponses(400, 401, 403, 404, 409, 415) },
      },
    },
    async (req) => channelToWire(await service.update(tenantOf(req), req.params.channelID, req.body)),
  );

  app.delete(
    `${base}/:channelID`,
    {
      schema: {
        tags,
        summary: 'Delete a channel; configs listing it no longer do',
        params: ChannelParams,
        response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await service.remove(tenantOf(req), req.params.channelID);
      return reply.code(204).send();
    },
  );
};

import { Type } from 'typebox';
import { linkHeaders, parsePage } from '../core/pagination.js';
import { READ_ONLY_SAFE } from '../http/auth-hooks.js';
import { EmptyBody, errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { devauthErrors } from './devauth-errors.js';
import {
  CountResponse,
  DeviceWire,
  deviceToWire,
  LimitResponse,
  ListDevicesQuery,
  PreauthBody,
  SearchDevicesBody,
  StatusBody,
  StatusResponse,
} from './devauth-schemas.js';
import type { DevauthAdminService } from './devauth-service-mgmt.js';
import { type DeviceStatus, deviceStatuses } from './devauth-types.js';

const BASE = '/api/management/v2/devauth';
const tags = ['Device authentication (management)'];
const DeviceParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const AuthSetParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  aid: Type.String({ maxLength: 64 }),
});
const asArray = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

export const devauthMgmtRoutes = (service: DevauthAdminService) => async (app: App) => {
  const list = async (
    tenantId: string,
    url: string,
    q: { statuses?: DeviceStatus[]; ids?: string[]; page?: string; per_page?: string },
  ) => {
    const page = parsePage(q);
    const { devices, hasNext } = await service.listDevices(tenantId, {
      statuses: q.statuses,
      ids: q.ids,
      page,
    });
    return { body: devices.map(deviceToWire), links: linkHeaders(url, page, { hasNext }) };
  };

  app.get(
    `${BASE}/devices`,
    {
      schema: {
        tags,
        summary: 'List devices with their auth sets',
        querystring: ListDevicesQuery,
        response: { 200: Type.Array(DeviceWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const r = await list(userOf(req).tenantId, req.url, {
        statuses: asArray(req.query.status),
        ids: asArray(req.query.id),
        page: req.query.page,
        per_page: req.query.per_page,
      });
      return reply.header('Link', r.links).send(r.body);
    },
  );

  app.post(
    `${BASE}/devices/search`,
    {
      config: READ_ONLY_SAFE,
      schema: {
        tags,
        summary: 'Search devices by status and id',
        querystring: Type.Object(PagingQuery),
        body: SearchDevicesBody,
        response: { 200: Type.Array(DeviceWire), ...errorResponses(400, 401, 415) },
      },
    },
    async (req, reply) => {
      const r = await list(userOf(req).tenantId, req.url, {
        statuses: asArray(req.body.status),
        ids: asArray(req.body.id),
        page: req.query.page,
        per_page: req.query.per_page,
      });
      return reply.header('Link', r.links).send(r.body);
    },
  );

  app.get(
    `${BASE}/devices/count`,
    {
      schema: {
        tags,
        summary: 'Count devices, optionally by status',
        querystring: Type.Object({ status: Type.Optional(Type.String({ maxLength: 32 })) }),
        response: { 200: CountResponse, ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      const status = req.query.status;
      if (status !== undefined && !(deviceStatuses as readonly string[]).includes(status)) {
        throw devauthErrors.badAuthRequest(
          'status must be one of: pending, accepted, rejected, preauthorized, noauth',
        );
      }
      return { count: await service.countDevices(userOf(req).tenantId, status as DeviceStatus | undefined) };
    },
  );

  app.get(
    `${BASE}/devices/:id`,
    {
      schema: {
        tags,
        summary: 'Get a device',
        params: DeviceParams,
        response: { 200: DeviceWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => deviceToWire(await service.getDevice(userOf(req).tenantId, req.params.id)),
  );

  app.post(
    `${BASE}/devices`,
    {
      schema: {
        tags,
        summary: 'Preauthorize a device (identity + public key)',
        description:
          'Creates the device and a preauthorized auth set; the device is accepted on its first auth request with exactly this identity and key. 409 when the identity exists (the body then also carries the existing device id, identity_data and status) or the key belongs to another device. With force=true, adds the key to the existing device (key rotation).',
        body: PreauthBody,
        response: { 201: EmptyBody, ...errorResponses(400, 401, 409, 415) },
      },
    },
    async (req, reply) => {
      const { deviceId } = await service.preauthorize(userOf(req).tenantId, {
        identityData: req.body.identity_data,
        pubkey: req.body.pubkey,
        force: req.body.force,
      });
      return reply.code(201).header('Location', `devices/${deviceId}`).send();
    },
  );

  app.delete(
    `${BASE}/devices/:id`,
    {
      schema: {
        tags,
        summary: 'Decommission a device (device, auth sets, tokens and inventory, in one transaction)',
        params: DeviceParams,
        response: { 204: EmptyBody, ...errorResponses(401, 404, 409) },
      },
    },
    async (req, reply) => {
      await service.decommission(userOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    `${BASE}/devices/:id/auth/:aid/status`,
    {
      schema: {
        tags,
        summary: 'Get the status of an auth set',
        params: AuthSetParams,
        response: { 200: StatusResponse, ...errorResponses(401, 404) },
      },
    },
    async (req) => ({
      status: await service.getAuthSetStatus(userOf(req).tenantId, req.params.id, req.params.aid),
    }),
  );

  app.put(
    `${BASE}/devices/:id/auth/:aid/status`,
    {
      schema: {
        tags,
        summary: 'Accept, reject or reset an auth set',
        description:
          'Accepting rejects the device\'s other accepted auth set (at most one is accepted). Leaving "accepted" revokes the device\'s tokens at once. 422 when accepting would exceed max_devices.',
        params: AuthSetParams,
        body: StatusBody,
        response: { 204: EmptyBody, ...errorResponses(400, 401, 404, 409, 415, 422) },
      },
    },
    async (req, reply) => {
      await service.setAuthSetStatus(userOf(req).tenantId, req.params.id, req.params.aid, req.body.status);
      return reply.code(204).send();
    },
  );

  app.delete(
    `${BASE}/devices/:id/auth/:aid`,
    {
      schema: {
        tags,
        summary: 'Delete an auth set',
        params: AuthSetParams,
        response: { 204: EmptyBody, ...errorResponses(401, 404, 409) },
      },
    },
    async (req, reply) => {
      await service.deleteAuthSet(userOf(req).tenantId, req.params.id, req.params.aid);
      return reply.code(204).send();
    },
  );

  app.delete(
    `${BASE}/tokens/:id`,
    {
      schema: {
        tags,
        summary: 'Revoke a device token',
        description:
          'The token fails on its next use; the device may authenticate again if its auth set is still accepted.',
        params: DeviceParams,
        response: { 204: EmptyBody, ...errorResponses(401, 404) },
      },
    },
    async (req, reply) => {
      await service.revokeToken(userOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    `${BASE}/limits/:name`,
    {
      schema: {
        tags,
        summary: 'Get a limit (only max_devices exists; -1 = unlimited)',
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
        response: { 200: LimitResponse, ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      if (req.params.name !== 'max_devices') throw devauthErrors.unknownLimit(req.params.name);
      return { limit: await service.maxDevices(userOf(req).tenantId) };
    },
  );
};

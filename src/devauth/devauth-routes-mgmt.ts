import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { cursorLinkHeaders, linkHeaders, parsePage, withPageHeaders } from '../core/pagination.js';
import { READ_ONLY_SAFE } from '../http/auth-hooks.js';
import { EmptyBody, errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, actorOf, userOf } from '../http/types.js';
import { decodeCursor, encodeCursor } from './devauth-cursor.js';
import { devauthErrors } from './devauth-errors.js';
import {
  BulkBody,
  BulkResponse,
  CountQuery,
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
import { type DeviceFilter, type DeviceStatus, deviceStatuses } from './devauth-types.js';

const BASE = '/api/management/v2/devauth';
/** With `q`: `prefix` or `substring`, how identity and inventory values were matched. */
const SEARCH_MATCH_HEADER = 'X-Search-Match';
const tags = ['Device authentication (management)'];
const DeviceParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const AuthSetParams = Type.Object({
  id: Type.String({ maxLength: 64 }),
  aid: Type.String({ maxLength: 64 }),
});
const asArray = <T>(v: T | T[] | undefined): T[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/** `q`, `group` and `tag` of a query or body: `tag` is `name` or `name=value`. */
const searchOf = (s: { q?: string; group?: string; tag?: string }): DeviceFilter => {
  const out: DeviceFilter = {};
  if (s.q !== undefined) out.q = s.q;
  if (s.group !== undefined) out.group = s.group;
  if (s.tag !== undefined) {
    const at = s.tag.indexOf('=');
    const name = at < 0 ? s.tag : s.tag.slice(0, at);
    if (name === '') throw devauthErrors.badAuthRequest('tag must be "name" or "name=value"');
    out.tag = at < 0 ? { name } : { name, value: s.tag.slice(at + 1) };
  }
  return out;
};

const checkStatus = (status: string | undefined): DeviceStatus | undefined => {
  if (status !== undefined && !(deviceStatuses as readonly string[]).includes(status)) {
    throw devauthErrors.badAuthRequest(
      'status must be one of: pending, accepted, rejected, preauthorized, noauth',
    );
  }
  return status as DeviceStatus | undefined;
};

export const devauthMgmtRoutes = (service: DevauthAdminService) => async (app: App) => {
  const list = async (
    tenantId: string,
    url: string,
    q: DeviceFilter & { page?: string; per_page?: string; after?: string },
  ) => {
    const { page: pageText, per_page, after: afterText, ...filter } = q;
    const page = parsePage({ page: pageText, per_page });
    if (afterText !== undefined && page.page !== 1)
      throw devauthErrors.badAuthRequest('give either page or after, not both');
    const after = afterText === undefined ? undefined : decodeCursor(afterText);
    const r = await service.listDevices(tenantId, {
      ...filter,
      page,
      ...(after === undefined ? {} : { after }),
    });
    const links =
      after === undefined
        ? linkHeaders(url, page, { hasNext: r.hasNext, total: r.total })
        : cursorLinkHeaders(url, page.perPage, r.next && encodeCursor(r.next));
    return { body: r.devices.map(deviceToWire), links, total: r.total, match: r.match };
  };
  const reply200 = (reply: FastifyReply, r: Awaited<ReturnType<typeof list>>) => {
    withPageHeaders(reply, r.total, r.links);
    if (r.match) reply.header(SEARCH_MATCH_HEADER, r.match);
    return reply.send(r.body);
  };

  app.get(
    `${BASE}/devices`,
    {
      schema: {
        tags,
        summary: 'List devices with their auth sets',
        description:
          'Oldest first. Filters combine: `status` and `id` (repeatable), `q` (device id prefix, fingerprint prefix, or the start of an identity or inventory value; any part of a value in tenants of at most 10,000 devices), `group`, `tag`. X-Total-Count: the number of devices matching. X-Search-Match (with `q`): `prefix` or `substring`, how values were matched. Pages: `page` (Mender), or keyset pagination with `after` (empty for the first page, then the cursor of the `Link: <...>; rel="next"` header): the same time for every page, however deep (docs/console-api.md).',
        querystring: ListDevicesQuery,
        response: { 200: Type.Array(DeviceWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const r = await list(userOf(req).tenantId, req.url, {
        statuses: asArray(req.query.status),
        ids: asArray(req.query.id),
        ...searchOf(req.query),
        page: req.query.page,
        per_page: req.query.per_page,
        ...(req.query.after === undefined ? {} : { after: req.query.after }),
      });
      return reply200(reply, r);
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
      return reply200(reply, r);
    },
  );

  app.get(
    `${BASE}/devices/count`,
    {
      schema: {
        tags,
        summary: 'Count devices, optionally by status, search text, group and tag',
        description:
          'Without q, group and tag, read from counts the database keeps per status (no device is read). With q, the X-Search-Match header says how values were matched, as on the list.',
        querystring: CountQuery,
        response: { 200: CountResponse, ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const status = checkStatus(req.query.status);
      const search = searchOf(req.query);
      const filter: DeviceFilter = { ...search, ...(status ? { statuses: [status] } : {}) };
      const r = await service.countDevicesFound(userOf(req).tenantId, filter);
      if (r.match) reply.header(SEARCH_MATCH_HEADER, r.match);
      return { count: r.count };
    },
  );

  app.post(
    `${BASE}/devices/bulk`,
    {
      schema: {
        tags,
        summary: 'Accept, reject, dismiss or decommission many devices (admin)',
        description:
          'Exactly one of `device_ids` and `filter`; `group` and `tags` only with `accept`. Each device is changed in its own transaction, as by the single-device routes: accept takes the newest pending auth set (else the preauthorized one) and rejects the accepted one; reject rejects every pending and accepted auth set; dismiss deletes the pending auth sets (and the device when nothing else is left); decommission removes the device. A device that cannot be changed is reported in `results` (with a `code`) and the others go on. Events carry `actor` and `bulk: true`.',
        body: BulkBody,
        response: { 200: BulkResponse, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (req) => {
      const b = req.body;
      const r = await service.bulk(
        userOf(req).tenantId,
        {
          action: b.action,
          ...(b.device_ids === undefined ? {} : { deviceIds: b.device_ids }),
          ...(b.filter === undefined
            ? {}
            : { filter: { statuses: asArray(b.filter.status), ...searchOf(b.filter) } }),
          ...(b.group === undefined ? {} : { group: b.group }),
          ...(b.tags === undefined ? {} : { tags: b.tags }),
        },
        actorOf(req),
      );
      return {
        results: r.results.map((x) => ({
          device_id: x.deviceId,
          ok: x.ok,
          ...(x.status === undefined ? {} : { status: x.status }),
          ...(x.removed === undefined ? {} : { removed: x.removed }),
          ...(x.code === undefined ? {} : { code: x.code }),
          ...(x.error === undefined ? {} : { error: x.error }),
        })),
        succeeded: r.succeeded,
        failed: r.failed,
        truncated: r.truncated,
      };
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
      const { deviceId } = await service.preauthorize(
        userOf(req).tenantId,
        { identityData: req.body.identity_data, pubkey: req.body.pubkey, force: req.body.force },
        actorOf(req),
      );
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
      await service.decommission(userOf(req).tenantId, req.params.id, actorOf(req));
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
      await service.setAuthSetStatus(
        userOf(req).tenantId,
        req.params.id,
        req.params.aid,
        req.body.status,
        actorOf(req),
      );
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
      await service.deleteAuthSet(userOf(req).tenantId, req.params.id, req.params.aid, actorOf(req));
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
      await service.revokeToken(userOf(req).tenantId, req.params.id, actorOf(req));
      return reply.code(204).send();
    },
  );

  app.get(
    `${BASE}/limits/:name`,
    {
      schema: {
        tags,
        summary: 'Get a limit (only max_devices exists; 0 = unlimited)',
        description:
          "The tenant's limit of accepted devices. `0` means no limit, as Mender's web UI (3.x) and deviceauth up to mender-server 4.1 read it; the UI treats any other number as a limit. A tenant limited to no accepted devices at all also answers 0 here (accepts are refused with 422 all the same).",
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
        response: { 200: LimitResponse, ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      if (req.params.name !== 'max_devices') throw devauthErrors.unknownLimit(req.params.name);
      const limit = await service.maxDevices(userOf(req).tenantId);
      // -1 (no limit) is 0 on this wire.
      return { limit: Math.max(limit, 0) };
    },
  );
};

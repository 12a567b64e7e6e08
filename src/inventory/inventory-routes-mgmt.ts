import { Type } from 'typebox';
import { pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { parseSortParam, parseV1Filters } from './inventory-filters.js';
import {
  DeviceGroupParams,
  DeviceParams,
  deviceToWire,
  GroupBody,
  GroupResponse,
  IfMatchHeaders,
  InventoryDeviceWire,
  ListDevicesQuery,
  TagsBody,
} from './inventory-schemas.js';
import type { InventoryAdminService } from './inventory-service-mgmt.js';

export const INVENTORY_V1 = '/api/management/v1/inventory';
const tags = ['Inventory (management)'];

/** Inventory management v1: devices, their tags and their group (docs/compat/mender-management.md). */
export const inventoryMgmtRoutes = (service: InventoryAdminService) => async (app: App) => {
  app.get(
    `${INVENTORY_V1}/devices`,
    {
      schema: {
        tags,
        summary: 'List devices with their attributes, filtered and sorted',
        description:
          'Every parameter other than page, per_page, sort, has_group and group filters by attribute: `scope/name=value`, or `name=value` for the inventory scope; an `eq:` prefix is allowed, and a numeric value also matches the number. Filters are ANDed. sort is `name[:asc|desc]`, comma-separated for several keys; missing values sort first ascending.',
        querystring: ListDevicesQuery,
        response: { 200: Type.Array(InventoryDeviceWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      const page = parsePage(req.query);
      const { devices, total } = await service.search(userOf(req).tenantId, {
        conditions: parseV1Filters(query),
        sort: parseSortParam(req.query.sort),
        page,
      });
      return sendPage(reply, req.url, page, devices.map(deviceToWire), total, pageFollows(page, total));
    },
  );

  app.get(
    `${INVENTORY_V1}/devices/:id`,
    {
      schema: {
        tags,
        summary: 'Get a device with its attributes',
        description: 'The ETag header is the ETag of the device tags (for If-Match on the tags routes).',
        params: DeviceParams,
        response: { 200: InventoryDeviceWire, ...errorResponses(401, 404) },
      },
    },
    async (req, reply) => {
      const { device, etag } = await service.getDevice(userOf(req).tenantId, req.params.id);
      if (etag) reply.header('ETag', etag);
      return deviceToWire(device);
    },
  );

  app.delete(
    `${INVENTORY_V1}/devices/:id`,
    {
      schema: {
        tags,
        summary:
          "Remove the device-reported (inventory scope) attributes; the device's next report restores them",
        params: DeviceParams,
        response: { 204: EmptyBody, ...errorResponses(401, 404) },
      },
    },
    async (req, reply) => {
      await service.resetInventory(userOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: `${INVENTORY_V1}/devices/:id/tags`,
      schema: {
        tags,
        summary: method === 'PUT' ? 'Replace the tags of a device' : 'Add or update tags of a device',
        description: `At most 20 tags. With If-Match, the change happens only if the tags still have that ETag (412 otherwise); the new ETag is returned in the ETag header.`,
        params: DeviceParams,
        headers: IfMatchHeaders,
        body: TagsBody,
        response: { 200: EmptyBody, ...errorResponses(400, 401, 404, 412, 415) },
      },
      handler: async (req, reply) => {
        const etag = await service.setTags(
          userOf(req).tenantId,
          req.params.id,
          req.body,
          method === 'PUT' ? 'replace' : 'merge',
          req.headers['if-match'],
        );
        if (etag) reply.header('ETag', etag);
        return reply.code(200).send();
      },
    });
  }

  app.get(
    `${INVENTORY_V1}/devices/:id/group`,
    {
      schema: {
        tags,
        summary: "Get the device's static group",
        params: DeviceParams,
        response: { 200: GroupResponse, ...errorResponses(401, 404) },
      },
    },
    async (req) => ({ group: await service.getGroup(userOf(req).tenantId, req.params.id) }),
  );

  app.put(
    `${INVENTORY_V1}/devices/:id/group`,
    {
      schema: {
        tags,
        summary: 'Put the device into a static group (a device is in at most one)',
        params: DeviceParams,
        body: GroupBody,
        response: { 204: EmptyBody, ...errorResponses(400, 401, 404, 415) },
      },
    },
    async (req, reply) => {
      await service.setGroup(userOf(req).tenantId, req.params.id, req.body.group);
      return reply.code(204).send();
    },
  );

  app.delete(
    `${INVENTORY_V1}/devices/:id/group/:name`,
    {
      schema: {
        tags,
        summary: 'Take the device out of the group (404 if it is not in it)',
        params: DeviceGroupParams,
        response: { 204: EmptyBody, ...errorResponses(401, 404) },
      },
    },
    async (req, reply) => {
      await service.unsetGroup(userOf(req).tenantId, req.params.id, req.params.name);
      return reply.code(204).send();
    },
  );
};

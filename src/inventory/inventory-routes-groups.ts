import { Type } from 'typebox';
import { pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { INVENTORY_V1 } from './inventory-routes-mgmt.js';
import {
  DeviceIdsBody,
  GroupParams,
  GroupsQuery,
  UpdatedCount,
  UpdatedMatchedCount,
} from './inventory-schemas.js';
import type { InventoryAdminService } from './inventory-service-mgmt.js';

const tags = ['Inventory (management)'];

/** Inventory management v1: static groups (docs/compat/mender-management.md#inventory-v1-filters). */
export const inventoryGroupRoutes = (service: InventoryAdminService) => async (app: App) => {
  app.get(
    `${INVENTORY_V1}/groups`,
    {
      schema: {
        tags,
        summary: 'List the static groups in use',
        description: 'With status, only groups having a device of that auth status.',
        querystring: GroupsQuery,
        response: { 200: Type.Array(Type.String()), ...errorResponses(400, 401) },
      },
    },
    async (req) => service.listGroups(userOf(req).tenantId, req.query.status),
  );

  app.delete(
    `${INVENTORY_V1}/groups/:name`,
    {
      schema: {
        tags,
        summary: 'Remove a group from all its devices',
        params: GroupParams,
        response: { 200: UpdatedCount, ...errorResponses(400, 401) },
      },
    },
    async (req) => ({ updated_count: await service.deleteGroup(userOf(req).tenantId, req.params.name) }),
  );

  app.get(
    `${INVENTORY_V1}/groups/:name/devices`,
    {
      schema: {
        tags,
        summary: "List the ids of a group's devices",
        description: '404 when no device is in the group.',
        params: GroupParams,
        querystring: Type.Object(PagingQuery),
        response: { 200: Type.Array(Type.String()), ...errorResponses(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const page = parsePage(req.query);
      const { ids, total } = await service.groupDevices(userOf(req).tenantId, req.params.name, page);
      return sendPage(reply, req.url, page, ids, total, pageFollows(page, total));
    },
  );

  app.patch(
    `${INVENTORY_V1}/groups/:name/devices`,
    {
      schema: {
        tags,
        summary: 'Put devices into a group (moving them out of their current group)',
        description:
          'matched_count counts the listed devices that exist, updated_count those that changed group.',
        params: GroupParams,
        body: DeviceIdsBody,
        response: { 200: UpdatedMatchedCount, ...errorResponses(400, 401, 415) },
      },
    },
    async (req) => {
      const r = await service.addToGroup(userOf(req).tenantId, req.params.name, req.body);
      return { updated_count: r.updated, matched_count: r.matched };
    },
  );

  app.delete(
    `${INVENTORY_V1}/groups/:name/devices`,
    {
      schema: {
        tags,
        summary: 'Take devices out of a group',
        params: GroupParams,
        body: DeviceIdsBody,
        response: { 200: UpdatedCount, ...errorResponses(400, 401, 415) },
      },
    },
    async (req) => ({
      updated_count: await service.removeFromGroup(userOf(req).tenantId, req.params.name, req.body),
    }),
  );
};

import { Type } from 'typebox';
import { AppError } from '../core/errors.js';
import { pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { READ_ONLY_SAFE } from '../http/auth-hooks.js';
import { errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { parseAttrRef, parseFilterTerm, parseSortTerm } from './inventory-filters.js';
import { inventorySavedFilterRoutes } from './inventory-routes-filters.js';
import { deviceToWire, FilterAttributeWire, InventoryDeviceWire, SearchBody } from './inventory-schemas.js';
import type { InventoryAdminService } from './inventory-service-mgmt.js';

const BASE = '/api/management/v2/inventory';
const tags = ['Inventory (management)'];
const MAX_KEYWORDS = 16;

const keywordsOf = (text: string | undefined): string[] | undefined => {
  const words = text?.trim().split(/\s+/).filter(Boolean) ?? [];
  if (words.length > MAX_KEYWORDS)
    throw new AppError('INVENTORY_BAD_FILTER', 400, `text: at most ${MAX_KEYWORDS} keywords`);
  return words.length > 0 ? words : undefined;
};

/** Inventory management v2: device search and the filterable attributes. */
// Filter operators: docs/compat/mender-management.md#inventory-v2-filters.
export const inventoryMgmtV2Routes = (service: InventoryAdminService) => async (app: App) => {
  await app.register(inventorySavedFilterRoutes());

  app.post(
    `${BASE}/filters/search`,
    {
      config: READ_ONLY_SAFE,
      schema: {
        tags,
        summary: 'Search devices by attribute filters',
        description:
          'Filters are ANDed. An array attribute matches when any element does; numbers compare with numbers and strings with strings. $regex is anchored at the start (JavaScript syntax, at most 512 characters, evaluated with a time budget); system/created_ts, updated_ts and check_in_time take RFC 3339 times; identity/id is the device id.',
        body: SearchBody,
        response: { 200: Type.Array(InventoryDeviceWire), ...errorResponses(400, 401, 415) },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const page = parsePage({ page: b.page, per_page: b.per_page });
      const { devices, total } = await service.search(userOf(req).tenantId, {
        conditions: (b.filters ?? []).map(parseFilterTerm),
        sort: (b.sort ?? []).map(parseSortTerm),
        page,
        deviceIds: b.device_ids,
        keywords: keywordsOf(b.text),
        projection: b.attributes?.map((a) => parseAttrRef(a.scope, a.attribute, { anyScope: true })),
      });
      return sendPage(reply, req.url, page, devices.map(deviceToWire), total, pageFollows(page, total));
    },
  );

  app.get(
    `${BASE}/filters/attributes`,
    {
      schema: {
        tags,
        summary: 'Attributes that devices have, with the number of devices having each',
        response: { 200: Type.Array(FilterAttributeWire), ...errorResponses(401) },
      },
    },
    async (req) => service.filterAttributes(userOf(req).tenantId),
  );
};

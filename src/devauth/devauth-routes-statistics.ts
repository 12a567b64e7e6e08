import { Type } from 'typebox';
import { errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import type { DevauthAdminService } from './devauth-service-mgmt.js';

const ByTier = Type.Object({ standard: Type.Integer(), micro: Type.Integer(), system: Type.Integer() });

/**
 * Mender's inventory statistics: accepted and pending devices per device tier. Gatehouse has no
 * tiers, so every device counts as `standard` (Mender's default tier). Answered from the counts
 * devauth keeps per status: no device is read. The path is inventory's; the status is devauth's.
 */
export const devauthStatisticsRoutes = (service: DevauthAdminService) => async (app: App) => {
  const countOf = async (tenantId: string, status: 'accepted' | 'pending') => ({
    standard: (await service.countDevicesFound(tenantId, { statuses: [status] })).count,
    micro: 0,
    system: 0,
  });

  app.get(
    '/api/management/v2/inventory/statistics',
    {
      schema: {
        tags: ['Inventory'],
        summary: 'Accepted and pending devices, per device tier (all standard in Gatehouse)',
        response: {
          200: Type.Object({ devices_by_status: Type.Object({ accepted: ByTier, pending: ByTier }) }),
          ...errorResponses(401),
        },
      },
    },
    async (req) => {
      const tenantId = userOf(req).tenantId;
      return {
        devices_by_status: {
          accepted: await countOf(tenantId, 'accepted'),
          pending: await countOf(tenantId, 'pending'),
        },
      };
    },
  );
};

import { Type } from 'typebox';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, deviceOf } from '../http/types.js';
import type { InventoryService } from './inventory-service.js';

const Attributes = Type.Array(
  Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 1024 }),
      value: Type.Unknown({ description: 'string, number, or an array of strings or of numbers' }),
      description: Type.Optional(Type.String({ maxLength: 1024 })),
    },
    // Other fields are ignored (a client may add some), up to a bound like every input.
    { additionalProperties: true, maxProperties: 16 },
  ),
  { maxItems: 100 },
);

/**
 * Device inventory reports. The 3.4 client sends them chunked and expects exactly 200
 * (docs/compat/mender-management.md#device-attributes).
 */
export const inventoryDeviceRoutes = (service: InventoryService) => async (app: App) => {
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/api/devices/v1/inventory/device/attributes',
      schema: {
        tags: ['Inventory (device)'],
        summary:
          method === 'PUT'
            ? 'Replace the device-reported attributes'
            : 'Add or update device-reported attributes',
        body: Attributes,
        response: { 200: EmptyBody, ...errorResponses(400, 401, 413, 415) },
      },
      handler: async (req, reply) => {
        const d = deviceOf(req);
        await service.reportAttributes(
          d.tenantId,
          d.deviceId,
          req.body,
          method === 'PUT' ? 'replace' : 'merge',
        );
        return reply.code(200).send();
      },
    });
  }
};

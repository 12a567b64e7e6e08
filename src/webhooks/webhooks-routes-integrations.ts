import { Type } from 'typebox';
import { parsePage } from '../core/pagination.js';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';

/**
 * Mender's iot-manager integrations (forwarding device events to Azure IoT Hub, AWS IoT Core or a
 * webhook) are not a Gatehouse feature: its outbound webhooks have their own API
 * (`/api/management/v1/webhooks`, docs/webhooks.md). The list answers empty so that Mender's web
 * UI shows no integration instead of an error.
 */
export const iotManagerIntegrationsRoutes = () => async (app: App) => {
  app.get(
    '/api/management/v1/iot-manager/integrations',
    {
      schema: {
        tags: ['Webhooks'],
        summary: "Mender's iot-manager integrations: none (see the webhooks API)",
        description:
          "Always an empty list: Gatehouse forwards events through its own webhooks (`/api/management/v1/webhooks`), not through Mender's iot-manager integrations. Answered so that Mender's web UI shows no integration.",
        querystring: Type.Object({
          page: Type.Optional(Type.String({ maxLength: 10 })),
          per_page: Type.Optional(Type.String({ maxLength: 10 })),
        }),
        response: { 200: Type.Array(Type.Object({})), ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      parsePage(req.query);
      return [];
    },
  );
};

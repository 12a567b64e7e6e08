import { emptyListRoute } from '../http/empty-list-route.js';
import type { App } from '../http/types.js';

/**
 * Mender's iot-manager integrations (forwarding device events to Azure IoT Hub, AWS IoT Core or a
 * webhook) are not a Gatehouse feature: its outbound webhooks have their own API
 * (`/api/management/v1/webhooks`, docs/webhooks.md). The list answers empty so that Mender's web
 * UI shows no integration instead of an error.
 */
export const iotManagerIntegrationsRoutes = () => async (app: App) => {
  emptyListRoute(app, '/api/management/v1/iot-manager/integrations', {
    tags: ['Webhooks'],
    summary: "Mender's iot-manager integrations: none (see the webhooks API)",
    description:
      "Always an empty list: Gatehouse forwards events through its own webhooks (`/api/management/v1/webhooks`), not through Mender's iot-manager integrations. Answered so that Mender's web UI shows no integration.",
  });
};

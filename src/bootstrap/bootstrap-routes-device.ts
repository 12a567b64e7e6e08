import { errorResponses } from '../http/schemas-common.js';
import { type App, deviceOf } from '../http/types.js';
import { deliveryToWire } from './bootstrap-delivery.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import { BOOTSTRAP_BASE, withErrorMessage } from './bootstrap-routes-mgmt.js';
import { Binary, DeliveryBody, ExternalIdParams } from './bootstrap-schemas.js';
import type { BootstrapDeviceService } from './bootstrap-service-device.js';

const tags = ['Bootstrap (device)'];
const refusal =
  'Unknown external id, wrong key and disabled config all get the same 403; 429 with Retry-After after repeated failures.';

/**
 * Magistrala's device routes (docs/compat/magistrala-bootstrap.md#device-routes), unauthenticated
 * except by the external key.
 * No tenant in the path: the external id is looked up across tenants.
 */
export const bootstrapDeviceRoutes = (service: BootstrapDeviceService) => async (app: App) => {
  const base = `${BOOTSTRAP_BASE}/clients/bootstrap`;
  app.addHook('onSend', withErrorMessage);

  app.get(
    `${base}/:external_id`,
    {
      schema: {
        tags,
        summary: 'Fetch the bootstrap config (Authorization: Client <external key>)',
        description: refusal,
        params: ExternalIdParams,
        response: { 200: DeliveryBody, ...errorResponses(400, 403, 429) },
      },
    },
    async (req) =>
      deliveryToWire(
        await service.fetchPlain({
          externalId: req.params.external_id,
          authorization: req.headers.authorization,
          address: req.ip,
        }),
      ),
  );

  // Magistrala answers the bare collection path with 400 (missing external id).
  app.get(
    `${base}/`,
    { schema: { tags, summary: 'Missing external id (always 400)', response: errorResponses(400) } },
    async () => {
      throw bootstrapErrors.missingExternalId();
    },
  );

  app.get(
    `${base}/secure/:external_id`,
    {
      schema: {
        tags,
        summary:
          'Fetch the config in Magistrala secure mode (Authorization: Client <hex(IV ‖ AES-CFB(key, external key))>)',
        description: `Answer: raw IV(16) ‖ AES-CFB(JSON), application/octet-stream. 404 when the server has no GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY. ${refusal}`,
        params: ExternalIdParams,
        response: {
          200: Binary('IV ‖ AES-CFB128 of the bootstrap JSON'),
          ...errorResponses(400, 403, 404, 429),
        },
      },
    },
    async (req, reply) => {
      const body = await service.fetchSecure({
        externalId: req.params.external_id,
        authorization: req.headers.authorization,
        address: req.ip,
      });
      return reply.code(200).type('application/octet-stream').send(body);
    },
  );
};

/** The config linked to an accepted Mender device, fetched with its device token. */
export const bootstrapDeviceTokenRoutes = (service: BootstrapDeviceService) => async (app: App) => {
  app.get(
    '/api/devices/v1/bootstrap/config',
    {
      schema: {
        tags,
        summary: "The device's own bootstrap config (Mender device token; enabled, linked configs only)",
        response: { 200: DeliveryBody, ...errorResponses(401, 404) },
      },
    },
    async (req) => {
      const d = deviceOf(req);
      return deliveryToWire(await service.fetchForDevice({ tenantId: d.tenantId, deviceId: d.deviceId }));
    },
  );
};

import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { baseUrlFor } from '../http/base-url.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, deviceOf } from '../http/types.js';
import { InstructionsWire, NextBody } from './deployments-schemas.js';
import type { DeviceDeploymentsService } from './deployments-service-device.js';

const BASE = '/api/devices/v1/deployments/device/deployments';
const tags = ['Deployments (device)'];
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const MAX_PROVIDES = 100;

/** Provides as the service wants them: string values only, bounded. */
const providesOf = (body: Record<string, unknown>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body).slice(0, MAX_PROVIDES)) {
    if (typeof v === 'string' && k.length <= 1024 && v.length <= 4096) out[k] = v;
  }
  return out;
};

/**
 * Device side of deployments (docs/compat/mender-management.md#next-update and
 * #device-deployment-statuses). The 3.4 client asks POST v2 /next first
 * (`{"device_provides": {...}, "update_control_map": true}`) and falls back to POST v1 and then
 * GET v1 on 404 only; all three are served with the same answers. Update control maps are not
 * supported, so none is ever returned.
 */
export const deploymentsDeviceRoutes =
  (service: DeviceDeploymentsService, config: { publicUrl: string; publicUrlConfigured: boolean }) =>
  async (app: App) => {
    const answer = async (req: FastifyRequest, reply: FastifyReply, provides: Record<string, string>) => {
      const d = deviceOf(req);
      const next = await service.next(d, provides, baseUrlFor(config, req));
      if (!next) return reply.code(204).send();
      return reply.code(200).send(next);
    };

    app.post(
      '/api/devices/v2/deployments/device/deployments/next',
      {
        schema: {
          tags,
          summary: 'Check for an update (v2: provides wrapped in device_provides)',
          body: Type.Object({
            device_provides: NextBody,
            update_control_map: Type.Optional(Type.Boolean()),
          }),
          response: { 200: InstructionsWire, 204: EmptyBody, ...errorResponses(400, 401, 409) },
        },
      },
      async (req, reply) =>
        answer(req, reply, providesOf(req.body.device_provides as Record<string, unknown>)),
    );

    app.post(
      `${BASE}/next`,
      {
        schema: {
          tags,
          summary: 'Check for an update (the device sends its provides)',
          body: NextBody,
          response: { 200: InstructionsWire, 204: EmptyBody, ...errorResponses(400, 401, 409) },
        },
      },
      async (req, reply) => answer(req, reply, providesOf(req.body as Record<string, unknown>)),
    );

    app.get(
      `${BASE}/next`,
      {
        schema: {
          tags,
          summary: 'Check for an update (legacy GET form)',
          querystring: Type.Object({
            artifact_name: Type.String({ minLength: 1, maxLength: 4096 }),
            device_type: Type.String({ minLength: 1, maxLength: 4096 }),
          }),
          response: { 200: InstructionsWire, 204: EmptyBody, ...errorResponses(400, 401, 409) },
        },
      },
      async (req, reply) =>
        answer(req, reply, { artifact_name: req.query.artifact_name, device_type: req.query.device_type }),
    );

    app.put(
      `${BASE}/:id/status`,
      {
        schema: {
          tags,
          summary: "Report the device's progress on a deployment (409: the deployment was aborted)",
          params: IdParams,
          body: Type.Object({
            status: Type.String({ maxLength: 64 }),
            substate: Type.Optional(Type.String({ maxLength: 1024 })),
          }),
          response: { 204: EmptyBody, ...errorResponses(400, 401, 404, 409) },
        },
      },
      async (req, reply) => {
        await service.reportStatus(deviceOf(req), req.params.id, req.body.status, req.body.substate);
        return reply.code(204).send();
      },
    );

    app.put(
      `${BASE}/:id/log`,
      {
        bodyLimit: 8 * 1024 * 1024,
        schema: {
          tags,
          summary: 'Upload the deployment log of a failed update',
          params: IdParams,
          body: Type.Object({
            messages: Type.Array(
              Type.Object(
                {
                  timestamp: Type.String({ maxLength: 64 }),
                  level: Type.String({ maxLength: 32 }),
                  message: Type.String({ maxLength: 64 * 1024 }),
                },
                // The client's log lines carry its logger's other fields too.
                { additionalProperties: true, maxProperties: 64 },
              ),
              { maxItems: 10_000 },
            ),
          }),
          response: { 204: EmptyBody, ...errorResponses(400, 401, 404, 413) },
        },
      },
      async (req, reply) => {
        await service.saveLog(deviceOf(req), req.params.id, req.body);
        return reply.code(204).send();
      },
    );
  };

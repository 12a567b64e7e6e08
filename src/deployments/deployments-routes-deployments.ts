import { type Static, Type } from 'typebox';
import { offsetOf, parsePage, sendPage } from '../core/pagination.js';
import { READ_ONLY_SAFE } from '../http/auth-hooks.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { deploymentsErrors } from './deployments-errors.js';
import { deploymentsConfigRoutes } from './deployments-routes-config.js';
import {
  DeploymentWire,
  DeviceDeploymentWire,
  DeviceHistoryWire,
  deploymentToWire,
  deviceDeploymentToWire,
  deviceHistoryToWire,
  fullStatistics,
  NewDeploymentBody,
  NewGroupDeploymentBody,
  StatisticsWire,
} from './deployments-schemas.js';
import type { DeploymentsService } from './deployments-service-mgmt.js';
import {
  type Artifact,
  type DeviceDeployment,
  type DeviceDeploymentStatus,
  deviceDeploymentStatuses,
} from './deployments-types.js';

const BASE = '/api/management/v1/deployments/deployments';
const tags = ['Deployments'];
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const ListQuery = Type.Object({
  status: Type.Optional(Type.Enum(['pending', 'inprogress', 'finished'])),
  search: Type.Optional(Type.String({ maxLength: 256 })),
  page: Type.Optional(Type.String({ maxLength: 10 })),
  per_page: Type.Optional(Type.String({ maxLength: 10 })),
  created_before: Type.Optional(Type.String({ maxLength: 16, pattern: '^[0-9]+$' })),
  created_after: Type.Optional(Type.String({ maxLength: 16, pattern: '^[0-9]+$' })),
  sort: Type.Optional(Type.Enum(['asc', 'desc'])),
});

/** Device status filters, including Mender's aggregates. */
const statusFilter = (s: string | undefined): DeviceDeploymentStatus[] | undefined => {
  if (s === undefined || s === '') return undefined;
  if (s === 'active') return ['pending', 'downloading', 'installing', 'rebooting'];
  if (s === 'pause') return ['pause_before_installing', 'pause_before_rebooting', 'pause_before_committing'];
  if (s === 'finished')
    return ['success', 'failure', 'noartifact', 'already-installed', 'aborted', 'decommissioned'];
  if ((deviceDeploymentStatuses as readonly string[]).includes(s)) return [s as DeviceDeploymentStatus];
  throw deploymentsErrors.badStatus(s);
};

/** A device of a deployment with the artifact it was given (`image`), as Mender's reports read it. */
const withImage = (d: DeviceDeployment, p: { images: Map<string, Artifact>; artifactName: string }) =>
  deviceDeploymentToWire(d, {
    artifact: d.artifactId === null ? undefined : p.images.get(d.artifactId),
    artifactName: p.artifactName,
  });

export const deploymentsMgmtRoutes = (service: DeploymentsService) => async (app: App) => {
  await app.register(deploymentsConfigRoutes());

  app.post(
    BASE,
    {
      schema: {
        tags,
        summary: 'Create a deployment for a list of devices or for all accepted devices',
        description:
          "Every listed id must name a device of the caller's tenant (any status); otherwise 400 (DEPLOYMENTS_UNKNOWN_DEVICES) and nothing is created. Another tenant's device is refused exactly like an id that names no device.",
        body: NewDeploymentBody,
        response: { 201: EmptyBody, ...errorResponses(400, 401, 409, 422) },
      },
    },
    async (req, reply) => {
      const d = await service.create(userOf(req).tenantId, {
        name: req.body.name,
        artifactName: req.body.artifact_name,
        devices: req.body.devices,
        allDevices: req.body.all_devices,
        forceInstallation: req.body.force_installation,
      });
      return reply.code(201).header('Location', `${BASE}/${d.id}`).send();
    },
  );

  app.post(
    `${BASE}/group/:name`,
    {
      schema: {
        tags,
        summary: "Create a deployment for a static group's accepted devices (resolved now)",
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 1024 }) }),
        body: NewGroupDeploymentBody,
        response: { 201: EmptyBody, ...errorResponses(400, 401, 409, 422) },
      },
    },
    async (req, reply) => {
      const d = await service.create(userOf(req).tenantId, {
        name: req.body.name,
        artifactName: req.body.artifact_name,
        group: req.params.name,
        forceInstallation: req.body.force_installation,
      });
      return reply.code(201).header('Location', `${BASE}/${d.id}`).send();
    },
  );

  app.get(
    BASE,
    {
      schema: {
        tags,
        summary: 'List deployments',
        querystring: ListQuery,
        response: { 200: Type.Array(DeploymentWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const q: Static<typeof ListQuery> = req.query;
      const page = parsePage(q);
      const { deployments, total } = await service.list(userOf(req).tenantId, {
        status: q.status,
        search: q.search,
        createdBeforeMs: q.created_before !== undefined ? Number(q.created_before) * 1000 : undefined,
        createdAfterMs: q.created_after !== undefined ? Number(q.created_after) * 1000 : undefined,
        desc: q.sort !== 'asc',
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, deployments.map(deploymentToWire), total);
    },
  );

  app.get(
    `${BASE}/:id`,
    {
      schema: {
        tags,
        summary: 'Get a deployment',
        params: IdParams,
        response: { 200: DeploymentWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => deploymentToWire(await service.get(userOf(req).tenantId, req.params.id)),
  );

  app.get(
    `${BASE}/:id/statistics`,
    {
      schema: {
        tags,
        summary: 'Device counts per status',
        params: IdParams,
        response: { 200: StatisticsWire, ...errorResponses(401, 404) },
      },
    },
    async (req) => fullStatistics((await service.get(userOf(req).tenantId, req.params.id)).statistics),
  );

  app.post(
    `${BASE}/statistics/list`,
    {
      config: READ_ONLY_SAFE,
      schema: {
        tags,
        summary: 'Statistics of several deployments',
        body: Type.Object({
          deployment_ids: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 100 }),
        }),
        response: {
          200: Type.Array(Type.Object({ id: Type.String(), stats: StatisticsWire })),
          ...errorResponses(400, 401),
        },
      },
    },
    async (req) => {
      const stats = await service.statistics(userOf(req).tenantId, req.body.deployment_ids);
      return [...stats.keys()].map((id) => ({ id, stats: fullStatistics(stats.get(id) ?? {}) }));
    },
  );

  app.put(
    `${BASE}/:id/status`,
    {
      schema: {
        tags,
        summary: 'Abort a deployment (devices mid-update get 409 on their next report)',
        params: IdParams,
        body: Type.Object({ status: Type.Literal('aborted') }),
        response: { 204: EmptyBody, ...errorResponses(400, 401, 404, 422) },
      },
    },
    async (req, reply) => {
      await service.abort(userOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );

  const devicesQuery = Type.Object({
    status: Type.Optional(Type.String({ maxLength: 32 })),
    page: Type.Optional(Type.String({ maxLength: 10 })),
    per_page: Type.Optional(Type.String({ maxLength: 10 })),
  });

  app.get(
    `${BASE}/:id/devices/list`,
    {
      schema: {
        tags,
        summary: 'The devices of a deployment, paged (status may be active, pause or finished too)',
        params: IdParams,
        querystring: devicesQuery,
        response: { 200: Type.Array(DeviceDeploymentWire), ...errorResponses(400, 401, 404) },
      },
    },
    async (req, reply) => {
      const page = parsePage(req.query);
      const { devices, total, ...images } = await service.devices(userOf(req).tenantId, req.params.id, {
        status: statusFilter(req.query.status),
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(
        reply,
        req.url,
        page,
        devices.map((d) => withImage(d, images)),
        total,
      );
    },
  );

  app.get(
    `${BASE}/:id/devices`,
    {
      schema: {
        tags,
        summary: 'The devices of a deployment (deprecated unpaged form, first 10000)',
        params: IdParams,
        response: { 200: Type.Array(DeviceDeploymentWire), ...errorResponses(401, 404) },
      },
    },
    async (req) => {
      const { devices, ...images } = await service.devices(userOf(req).tenantId, req.params.id, {
        offset: 0,
        limit: 10_000,
      });
      return devices.map((d) => withImage(d, images));
    },
  );

  app.get(
    `${BASE}/:id/device_list`,
    {
      schema: {
        tags,
        summary: 'Device ids of a deployment',
        params: IdParams,
        response: { 200: Type.Array(Type.String()), ...errorResponses(401, 404) },
      },
    },
    async (req) =>
      (await service.devices(userOf(req).tenantId, req.params.id, { offset: 0, limit: 100_000 })).devices.map(
        (d) => d.deviceId,
      ),
  );

  app.get(
    `${BASE}/devices/:id`,
    {
      schema: {
        tags,
        summary: "A device's deployment history, newest first (Mender's list of deployments for a device)",
        description:
          "Each deployment the device was part of, with the device's own status in it. `status` filters by the device's status (or active, pause, finished). An id that names no device of the caller's tenant has no history (200, empty); a decommissioned device keeps its history. `id` of an item is the deployment id. X-Total-Count: all matching items.",
        params: IdParams,
        querystring: devicesQuery,
        response: { 200: Type.Array(DeviceHistoryWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const page = parsePage(req.query);
      const { items, total } = await service.deviceHistory(userOf(req).tenantId, req.params.id, {
        status: statusFilter(req.query.status),
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, items.map(deviceHistoryToWire), total);
    },
  );

  app.get(
    `${BASE}/:id/devices/:devid/log`,
    {
      schema: {
        tags,
        summary: "A device's deployment log, one line per message",
        params: Type.Object({ id: Type.String({ maxLength: 64 }), devid: Type.String({ maxLength: 64 }) }),
        response: {
          200: { description: 'log text', content: { 'text/plain': { schema: Type.String() } } },
          ...errorResponses(401, 404),
        },
      },
    },
    async (req, reply) => {
      const messages = (await service.deviceLog(userOf(req).tenantId, req.params.id, req.params.devid)) as {
        timestamp: string;
        level: string;
        message: string;
      }[];
      const text = messages.map((m) => `${m.timestamp} ${m.level}: ${m.message}\n`).join('');
      return reply.type('text/plain; charset=utf-8').send(text);
    },
  );
};

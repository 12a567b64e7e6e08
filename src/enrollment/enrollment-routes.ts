import type { Static, TSchema } from 'typebox';
import { Type } from 'typebox';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import {
  DeviceParams,
  GroupCreateBody,
  GroupListQuery,
  GroupPatchBody,
  GroupWire,
  groupToWire,
  IdParams,
  IndividualCreateBody,
  IndividualListQuery,
  IndividualPatchBody,
  IndividualWire,
  individualToWire,
  RegistrationListQuery,
  RegistrationWire,
  registrationToWire,
} from './enrollment-schemas.js';
import type { EnrollmentGroupsService, GroupPatch } from './enrollment-service-groups.js';
import type { EnrollmentIndividualsService, IndividualPatch } from './enrollment-service-individuals.js';
import type { EnrollmentRegistrationsService } from './enrollment-service-registrations.js';

export const ENROLLMENT_BASE = '/api/management/v1/enrollment';
const GROUPS = `${ENROLLMENT_BASE}/groups`;
const INDIVIDUALS = `${ENROLLMENT_BASE}/individuals`;
const REGISTRATIONS = `${ENROLLMENT_BASE}/registrations`;
const tags = ['Enrollment (certificate-based admission)'];

type GroupBody = Static<typeof GroupPatchBody>;
type IndividualBody = Static<typeof IndividualPatchBody>;

const groupInput = (b: GroupBody): GroupPatch => ({
  ...(b.name === undefined ? {} : { name: b.name }),
  ...(b.ca_id === undefined ? {} : { caId: b.ca_id }),
  ...(b.enabled === undefined ? {} : { enabled: b.enabled }),
  ...(b.identity === undefined ? {} : { identity: b.identity }),
  ...(b.inventory_group === undefined ? {} : { inventoryGroup: b.inventory_group }),
  ...(b.tags === undefined ? {} : { tags: b.tags }),
  ...(b.bootstrap === undefined
    ? {}
    : {
        bootstrap:
          b.bootstrap === null
            ? null
            : {
                ...(b.bootstrap.content === undefined ? {} : { content: b.bootstrap.content }),
                ...(b.bootstrap.content_template === undefined
                  ? {}
                  : { contentTemplate: b.bootstrap.content_template }),
                ...(b.bootstrap.channels === undefined ? {} : { channels: b.bootstrap.channels }),
                ...(b.bootstrap.active === undefined ? {} : { active: b.bootstrap.active }),
                ...(b.bootstrap.held === undefined ? {} : { held: b.bootstrap.held }),
              },
      }),
  ...(b.allocation_webhook_id === undefined ? {} : { allocationWebhookId: b.allocation_webhook_id }),
});

const individualInput = (b: IndividualBody): IndividualPatch => ({
  ...(b.registration_id === undefined ? {} : { registrationId: b.registration_id }),
  ...(b.enabled === undefined ? {} : { enabled: b.enabled }),
  ...(b.group_id === undefined ? {} : { groupId: b.group_id }),
  ...(b.certificate_fingerprint === undefined ? {} : { certificateFingerprint: b.certificate_fingerprint }),
  ...(b.inventory_group === undefined ? {} : { inventoryGroup: b.inventory_group }),
  ...(b.tags === undefined ? {} : { tags: b.tags }),
});

const one = (wire: TSchema, codes: number[]) => ({ 200: wire, ...errorResponses(...codes) }) as const;

/** Enrollment groups, individual enrollments and registration records (docs/enrollment.md). */
export const enrollmentRoutes =
  (s: {
    groups: EnrollmentGroupsService;
    individuals: EnrollmentIndividualsService;
    registrations: EnrollmentRegistrationsService;
  }) =>
  async (app: App) => {
    app.post(
      GROUPS,
      {
        schema: {
          tags,
          summary: 'Create an enrollment group (one per CA)',
          body: GroupCreateBody,
          response: { 201: GroupWire, ...errorResponses(400, 401, 403, 409, 415) },
        },
      },
      async (req, reply) => {
        const g = await s.groups.create(userOf(req).tenantId, {
          ...groupInput(req.body),
          name: req.body.name,
          caId: req.body.ca_id,
        });
        return reply.code(201).header('Location', `${GROUPS}/${g.id}`).send(groupToWire(g));
      },
    );
    app.get(
      GROUPS,
      {
        schema: {
          tags,
          summary: 'List enrollment groups (oldest first)',
          querystring: GroupListQuery,
          response: { 200: Type.Array(GroupWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const page = parsePage(req.query);
        const { groups, total } = await s.groups.list(userOf(req).tenantId, {
          offset: offsetOf(page),
          limit: page.perPage,
          ...(req.query.ca_id === undefined ? {} : { caId: req.query.ca_id }),
        });
        return sendPage(reply, req.url, page, groups.map(groupToWire), total, pageFollows(page, total));
      },
    );
    app.get(
      `${GROUPS}/:id`,
      {
        schema: {
          tags,
          summary: 'Read an enrollment group',
          params: IdParams,
          response: one(GroupWire, [401, 404]),
        },
      },
      async (req) => groupToWire(await s.groups.get(userOf(req).tenantId, req.params.id)),
    );
    app.patch(
      `${GROUPS}/:id`,
      {
        schema: {
          tags,
          summary:
            'Change an enrollment group (null clears inventory_group, bootstrap, allocation_webhook_id)',
          params: IdParams,
          body: GroupPatchBody,
          response: one(GroupWire, [400, 401, 403, 404, 409, 415]),
        },
      },
      async (req) =>
        groupToWire(await s.groups.update(userOf(req).tenantId, req.params.id, groupInput(req.body))),
    );
    app.delete(
      `${GROUPS}/:id`,
      {
        schema: {
          tags,
          summary: 'Delete an enrollment group (and its individual enrollments)',
          params: IdParams,
          response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await s.groups.remove(userOf(req).tenantId, req.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      INDIVIDUALS,
      {
        schema: {
          tags,
          summary: 'Create an individual enrollment (pin or disable one registration id)',
          body: IndividualCreateBody,
          response: { 201: IndividualWire, ...errorResponses(400, 401, 403, 409, 415) },
        },
      },
      async (req, reply) => {
        const e = await s.individuals.create(userOf(req).tenantId, {
          ...individualInput(req.body),
          registrationId: req.body.registration_id,
        });
        return reply.code(201).header('Location', `${INDIVIDUALS}/${e.id}`).send(individualToWire(e));
      },
    );
    app.get(
      INDIVIDUALS,
      {
        schema: {
          tags,
          summary: 'List individual enrollments (oldest first)',
          querystring: IndividualListQuery,
          response: { 200: Type.Array(IndividualWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const page = parsePage(req.query);
        const { individuals, total } = await s.individuals.list(userOf(req).tenantId, {
          offset: offsetOf(page),
          limit: page.perPage,
          ...(req.query.group_id === undefined ? {} : { groupId: req.query.group_id }),
        });
        return sendPage(
          reply,
          req.url,
          page,
          individuals.map(individualToWire),
          total,
          pageFollows(page, total),
        );
      },
    );
    app.get(
      `${INDIVIDUALS}/:id`,
      {
        schema: {
          tags,
          summary: 'Read an individual enrollment',
          params: IdParams,
          response: one(IndividualWire, [401, 404]),
        },
      },
      async (req) => individualToWire(await s.individuals.get(userOf(req).tenantId, req.params.id)),
    );
    app.patch(
      `${INDIVIDUALS}/:id`,
      {
        schema: {
          tags,
          summary:
            'Change an individual enrollment (null clears group_id, certificate_fingerprint, inventory_group, tags)',
          params: IdParams,
          body: IndividualPatchBody,
          response: one(IndividualWire, [400, 401, 403, 404, 409, 415]),
        },
      },
      async (req) =>
        individualToWire(
          await s.individuals.update(userOf(req).tenantId, req.params.id, individualInput(req.body)),
        ),
    );
    app.delete(
      `${INDIVIDUALS}/:id`,
      {
        schema: {
          tags,
          summary: 'Delete an individual enrollment',
          params: IdParams,
          response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
        },
      },
      async (req, reply) => {
        await s.individuals.remove(userOf(req).tenantId, req.params.id);
        return reply.code(204).send();
      },
    );

    app.get(
      REGISTRATIONS,
      {
        schema: {
          tags,
          summary: 'List registration records (devices admitted by certificate), most recent first',
          querystring: RegistrationListQuery,
          response: { 200: Type.Array(RegistrationWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const page = parsePage(req.query);
        const { registrations, total } = await s.registrations.list(userOf(req).tenantId, {
          offset: offsetOf(page),
          limit: page.perPage,
          ...(req.query.group_id === undefined ? {} : { groupId: req.query.group_id }),
        });
        return sendPage(
          reply,
          req.url,
          page,
          registrations.map(registrationToWire),
          total,
          pageFollows(page, total),
        );
      },
    );
    app.get(
      `${REGISTRATIONS}/:device_id`,
      {
        schema: {
          tags,
          summary: "A device's registration record",
          params: DeviceParams,
          response: one(RegistrationWire, [401, 404]),
        },
      },
      async (req) =>
        registrationToWire(await s.registrations.get(userOf(req).tenantId, req.params.device_id)),
    );
  };

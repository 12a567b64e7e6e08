import type { Static } from 'typebox';
import { Type } from 'typebox';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { enrollmentResourceRoutes } from './enrollment-routes-crud.js';
import {
  DeviceParams,
  GroupCreateBody,
  GroupListQuery,
  GroupPatchBody,
  GroupWire,
  groupToWire,
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

/** Enrollment groups, individual enrollments and registration records (docs/enrollment.md). */
export const enrollmentRoutes =
  (s: {
    groups: EnrollmentGroupsService;
    individuals: EnrollmentIndividualsService;
    registrations: EnrollmentRegistrationsService;
  }) =>
  async (app: App) => {
    enrollmentResourceRoutes(app, tags, {
      path: GROUPS,
      summaries: {
        create: 'Create an enrollment group (one per CA)',
        list: 'List enrollment groups (oldest first)',
        read: 'Read an enrollment group',
        change: 'Change an enrollment group (null clears inventory_group, bootstrap, allocation_webhook_id)',
        remove: 'Delete an enrollment group (and its individual enrollments)',
      },
      schemas: { create: GroupCreateBody, patch: GroupPatchBody, list: GroupListQuery, wire: GroupWire },
      toWire: groupToWire,
      create: (tenantId, b) => s.groups.create(tenantId, { ...groupInput(b), name: b.name, caId: b.ca_id }),
      list: async (tenantId, page, q) => {
        const { groups, total } = await s.groups.list(tenantId, {
          ...page,
          ...(q.ca_id === undefined ? {} : { caId: q.ca_id }),
        });
        return { items: groups, total };
      },
      get: s.groups.get,
      update: (tenantId, id, b) => s.groups.update(tenantId, id, groupInput(b)),
      remove: s.groups.remove,
    });
    enrollmentResourceRoutes(app, tags, {
      path: INDIVIDUALS,
      summaries: {
        create: 'Create an individual enrollment (pin or disable one registration id)',
        list: 'List individual enrollments (oldest first)',
        read: 'Read an individual enrollment',
        change:
          'Change an individual enrollment (null clears group_id, certificate_fingerprint, inventory_group, tags)',
        remove: 'Delete an individual enrollment',
      },
      schemas: {
        create: IndividualCreateBody,
        patch: IndividualPatchBody,
        list: IndividualListQuery,
        wire: IndividualWire,
      },
      toWire: individualToWire,
      create: (tenantId, b) =>
        s.individuals.create(tenantId, { ...individualInput(b), registrationId: b.registration_id }),
      list: async (tenantId, page, q) => {
        const { individuals, total } = await s.individuals.list(tenantId, {
          ...page,
          ...(q.group_id === undefined ? {} : { groupId: q.group_id }),
        });
        return { items: individuals, total };
      },
      get: s.individuals.get,
      update: (tenantId, id, b) => s.individuals.update(tenantId, id, individualInput(b)),
      remove: s.individuals.remove,
    });

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
          response: { 200: RegistrationWire, ...errorResponses(401, 404) },
        },
      },
      async (req) =>
        registrationToWire(await s.registrations.get(userOf(req).tenantId, req.params.device_id)),
    );
  };

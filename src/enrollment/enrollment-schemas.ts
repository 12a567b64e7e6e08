import { Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { PagingQuery } from '../http/schemas-common.js';
import {
  MAX_ATTRIBUTE_LENGTH,
  MAX_NAME_LENGTH,
  MAX_REGISTRATION_ID_LENGTH,
  MAX_TAG_NAME_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
} from './enrollment-input.js';
import type { EnrollmentGroup, IndividualEnrollment, Registration } from './enrollment-types.js';

const Timestamp = Type.String({ description: 'RFC 3339' });
const Id = Type.String({ maxLength: 64, description: 'UUID' });
const NullableId = Type.Union([Id, Type.Null()]);
const InventoryGroup = Type.String({
  minLength: 1,
  maxLength: 1024,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'inventory group name',
});
const Tags = Type.Record(
  Type.String({ minLength: 1, maxLength: MAX_TAG_NAME_LENGTH }),
  Type.String({ maxLength: MAX_TAG_VALUE_LENGTH }),
  {
    maxProperties: MAX_TAGS,
    description: `up to ${MAX_TAGS} tags, name → value`,
  },
);
const Source = Type.Union(
  [Type.Literal('cn'), Type.Literal('subject'), Type.Literal('serial'), Type.Literal('fingerprint')],
  {
    description: 'certificate field: subject CN (default), whole subject, serial (hex), SHA-256 fingerprint',
  },
);
const TemplateMode = Type.Union([Type.Literal('none'), Type.Literal('text'), Type.Literal('json')]);

export const IdParams = Type.Object({ id: Id });

const IdentityBody = Type.Object(
  {
    attribute: Type.Optional(
      Type.String({ minLength: 1, maxLength: MAX_ATTRIBUTE_LENGTH, description: 'default "DeviceId"' }),
    ),
    source: Type.Optional(Source),
  },
  { additionalProperties: false },
);

const BootstrapBody = Type.Object(
  {
    content: Type.Optional(Type.String({ maxLength: 64 * 1024 })),
    content_template: Type.Optional(TemplateMode),
    channels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 100 })),
    active: Type.Optional(
      Type.Boolean({ description: "config's client connected to its channels (state 1; default true)" }),
    ),
    held: Type.Optional(
      Type.Union([Type.Boolean(), Type.Null()], {
        description: "config held (delivers nothing); absent or null = the tenant's bootstrap default",
      }),
    ),
  },
  { additionalProperties: false },
);

const groupBodyFields = {
  name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  ca_id: Id,
  enabled: Type.Optional(Type.Boolean({ description: 'default true' })),
  identity: Type.Optional(IdentityBody),
  inventory_group: Type.Optional(Type.Union([InventoryGroup, Type.Null()])),
  tags: Type.Optional(Tags),
  bootstrap: Type.Optional(Type.Union([BootstrapBody, Type.Null()])),
  allocation_webhook_id: Type.Optional(NullableId),
};
export const GroupCreateBody = Type.Object(groupBodyFields, { additionalProperties: false });
export const GroupPatchBody = Type.Object(
  { ...groupBodyFields, name: Type.Optional(groupBodyFields.name), ca_id: Type.Optional(Id) },
  { additionalProperties: false, minProperties: 1 },
);

export const GroupWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  ca_id: Type.String(),
  enabled: Type.Boolean(),
  identity: Type.Object({ attribute: Type.String(), source: Type.String() }),
  inventory_group: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Record(Type.String(), Type.String()),
  bootstrap: Type.Union([
    Type.Object({
      content: Type.String(),
      content_template: Type.String(),
      channels: Type.Array(Type.String()),
      active: Type.Boolean(),
      held: Type.Union([Type.Boolean(), Type.Null()]),
    }),
    Type.Null(),
  ]),
  allocation_webhook_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const groupToWire = (g: EnrollmentGroup) => ({
  id: g.id,
  name: g.name,
  ca_id: g.caId,
  enabled: g.enabled,
  identity: { attribute: g.identityAttribute, source: g.identitySource },
  inventory_group: g.inventoryGroup,
  tags: g.tags,
  bootstrap:
    g.bootstrap === null
      ? null
      : {
          content: g.bootstrap.content,
          content_template: g.bootstrap.contentTemplate,
          channels: g.bootstrap.channels,
          active: g.bootstrap.active,
          held: g.bootstrap.held,
        },
  allocation_webhook_id: g.allocationWebhookId,
  created_at: toRfc3339(g.createdAt),
  updated_at: toRfc3339(g.updatedAt),
});

export const GroupListQuery = Type.Object({ ...PagingQuery, ca_id: Type.Optional(Id) });

const individualBodyFields = {
  registration_id: Type.String({
    minLength: 1,
    maxLength: MAX_REGISTRATION_ID_LENGTH,
    description:
      "the device's registration id: the certificate field its group derives identity from (CN by default)",
  }),
  enabled: Type.Optional(Type.Boolean({ description: 'default true; false refuses this device' })),
  group_id: Type.Optional(Type.Union([Id, Type.Null()], { description: 'admit only through this group' })),
  certificate_fingerprint: Type.Optional(
    Type.Union([Type.String({ maxLength: 95 }), Type.Null()], {
      description: 'admit only this certificate (SHA-256 of the DER, hex, colons allowed)',
    }),
  ),
  inventory_group: Type.Optional(Type.Union([InventoryGroup, Type.Null()])),
  tags: Type.Optional(Type.Union([Tags, Type.Null()])),
};
export const IndividualCreateBody = Type.Object(individualBodyFields, { additionalProperties: false });
export const IndividualPatchBody = Type.Object(
  { ...individualBodyFields, registration_id: Type.Optional(individualBodyFields.registration_id) },
  { additionalProperties: false, minProperties: 1 },
);

export const IndividualWire = Type.Object({
  id: Type.String(),
  registration_id: Type.String(),
  enabled: Type.Boolean(),
  group_id: Type.Union([Type.String(), Type.Null()]),
  certificate_fingerprint: Type.Union([Type.String(), Type.Null()]),
  inventory_group: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const individualToWire = (e: IndividualEnrollment) => ({
  id: e.id,
  registration_id: e.registrationId,
  enabled: e.enabled,
  group_id: e.groupId,
  certificate_fingerprint: e.certificateFingerprint,
  inventory_group: e.inventoryGroup,
  tags: e.tags,
  created_at: toRfc3339(e.createdAt),
  updated_at: toRfc3339(e.updatedAt),
});

export const IndividualListQuery = Type.Object({ ...PagingQuery, group_id: Type.Optional(Id) });

export const RegistrationWire = Type.Object({
  device_id: Type.String(),
  registration_id: Type.String(),
  ca_id: Type.String(),
  enrollment_group_id: Type.Union([Type.String(), Type.Null()]),
  individual_enrollment_id: Type.Union([Type.String(), Type.Null()]),
  certificate: Type.Object({
    subject: Type.String(),
    serial: Type.String(),
    fingerprint: Type.String(),
    not_after: Timestamp,
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const registrationToWire = (r: Registration) => ({
  device_id: r.deviceId,
  registration_id: r.registrationId,
  ca_id: r.caId,
  enrollment_group_id: r.groupId,
  individual_enrollment_id: r.individualId,
  certificate: {
    subject: r.certSubject,
    serial: r.certSerial,
    fingerprint: r.certFingerprint,
    not_after: toRfc3339(r.certNotAfter),
  },
  created_at: toRfc3339(r.createdAt),
  updated_at: toRfc3339(r.updatedAt),
});

export const RegistrationListQuery = Type.Object({ ...PagingQuery, group_id: Type.Optional(Id) });
export const DeviceParams = Type.Object({ device_id: Id });

import { Type } from 'typebox';
import {
  AuthSetStatus,
  CertificateFacts,
  defineEvent,
  IdentityData,
  StringOrNull,
  trail,
} from './event-types-common.js';

/** device.*: auth sets, admission and refusals (docs/webhooks.md "Event types"). */
export const deviceEvents = {
  'device.authset_pending': defineEvent('an unknown identity or key asked to be authorized', {
    auth_set_id: Type.String(),
    identity_data: IdentityData,
    key_type: Type.String(),
  }),
  'device.key_collision': defineEvent(
    "an auth request presented this device's public key under another identity; it was refused and not recorded (at most one event per key per 10 minutes per process; [conflicts.md](conflicts.md))",
    {
      identity_data: Type.Record(Type.String(), Type.Unknown(), { description: 'the other identity' }),
      key_type: Type.String(),
    },
  ),
  'device.preauthorized': defineEvent(
    'a device was preauthorized (identity + key), by hand or by an import',
    {
      auth_set_id: Type.String(),
      identity_data: IdentityData,
      key_type: Type.String(),
      import_id: Type.Optional(Type.String({ description: 'from a device import' })),
      import_line: Type.Optional(Type.Integer()),
      factory_id: Type.Optional(Type.String({ description: "the import's signing factory" })),
      ...trail,
    },
  ),
  'device.accepted': defineEvent(
    'an auth set was accepted (by an admin, on first contact when preauthorized, or on certificate admission)',
    {
      auth_set_id: Type.String(),
      via: Type.Union([Type.Literal('manual'), Type.Literal('preauthorized'), Type.Literal('certificate')]),
      rejected_auth_set_ids: Type.Array(Type.String()),
      ...trail,
    },
  ),
  'device.rejected': defineEvent('an auth set was rejected', {
    auth_set_id: Type.String(),
    previous_status: AuthSetStatus,
    reason: Type.Optional(Type.Literal('duplicate_accepted', { description: 'migration 0009' })),
    kept_auth_set_id: Type.Optional(Type.String({ description: 'migration 0009' })),
    migration: Type.Optional(Type.String({ description: 'migration 0009' })),
    ...trail,
  }),
  'device.authset_deleted': defineEvent(
    'an auth set was deleted (by an admin; superseded by a certificate admission of the same key; or by migration 0009, [ADR 13](adr/0013-database-invariants.md))',
    {
      auth_set_id: Type.String(),
      previous_status: AuthSetStatus,
      reason: Type.Optional(
        Type.Union([Type.Literal('superseded_by_certificate'), Type.Literal('duplicate_key')]),
      ),
      admitted_device_id: Type.Optional(Type.String({ description: 'superseded_by_certificate' })),
      kept_auth_set_id: Type.Optional(Type.String({ description: 'migration 0009' })),
      kept_device_id: Type.Optional(Type.String({ description: 'migration 0009' })),
      migration: Type.Optional(Type.String({ description: 'migration 0009' })),
      ...trail,
    },
  ),
  'device.decommissioned': defineEvent('the device and everything about it was removed', {
    identity_data: IdentityData,
    ...trail,
  }),
  'device.token_revoked': defineEvent('a device token was revoked', {
    token_id: Type.String(),
    auth_set_id: Type.String(),
    ...trail,
  }),
  'device.pending_cap_reached': defineEvent(
    'an unknown device was refused because the tenant holds `GATEHOUSE_MAX_PENDING_AUTH_SETS` pending auth sets; at most one an hour per tenant ([limits.md](limits.md))',
    { max_pending_auth_sets: Type.Integer(), pending_auth_sets: Type.Integer() },
  ),
  'device.enrolled_by_certificate': defineEvent(
    'a device was admitted by its client certificate ([enrollment.md](enrollment.md))',
    {
      auth_set_id: Type.String(),
      registration_id: Type.String(),
      reenrolled: Type.Boolean(),
      identity_data: IdentityData,
      ca_id: Type.String(),
      enrollment_group_id: StringOrNull,
      individual_enrollment_id: StringOrNull,
      allocation_webhook_id: StringOrNull,
      certificate: CertificateFacts,
      inventory_group: StringOrNull,
      tags: Type.Record(Type.String(), Type.String()),
      bootstrap: Type.Union([
        Type.Literal('existing'),
        Type.Literal('linked'),
        Type.Literal('created'),
        Type.Literal('conflict'),
        Type.Literal('none'),
      ]),
      bootstrap_config_id: StringOrNull,
    },
  ),
  'device.enrollment_refused': defineEvent("a certificate a tenant's CA vouched for was refused admission", {
    registration_id: Type.Union([Type.String(), Type.Null()], { description: 'null: none could be read' }),
    reason: Type.String(),
    ca_id: Type.String(),
    enrollment_group_id: StringOrNull,
    individual_enrollment_id: StringOrNull,
    certificate: CertificateFacts,
  }),
  'device.auth_refused': defineEvent(
    "an auth request carried a tenant token of no current tenant (401, nothing stored). In the audit log of the tenant whose replaced (rotated) token it is, otherwise in the default tenant's ([ADR 2](adr/0002-tenancy.md)). At most once per token and source address per 10 minutes, one a minute per source address and ten a minute per audit log, per process",
    {
      reason: Type.Union([
        Type.Literal('rotated_token'),
        Type.Literal('unknown_tenant'),
        Type.Literal('invalid_token'),
      ]),
      tenant_token_sha256_prefix: Type.String({ description: '12 hex digits; never the token' }),
      source_address: StringOrNull,
      identity_data: Type.Record(Type.String(), Type.Unknown(), { description: 'as the device sent it' }),
    },
  ),
};

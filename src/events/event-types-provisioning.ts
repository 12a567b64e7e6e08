import { Type } from 'typebox';
import { Actor, ConfigState, defineEvent, StringOrNull, viaImport } from './event-types-common.js';

const FetchMode = Type.Union([
  Type.Literal('plain'),
  Type.Literal('secure'),
  Type.Literal('v2'),
  Type.Literal('device_token'),
]);

const channel = { channel_id: Type.String() };
const ca = { ca_id: Type.String(), subject: Type.String(), fingerprint: Type.String() };
const group = { enrollment_group_id: Type.String(), name: Type.String(), ca_id: Type.String() };
const individual = { individual_enrollment_id: Type.String(), registration_id: Type.String() };
const byUser = { actor: Type.Optional(Actor) };

/** bootstrap.* ([ADR 8](adr/0008-bootstrap.md)): device fetches, configs, channels, settings. */
export const bootstrapEvents = {
  'bootstrap.fetched': defineEvent('a device fetched its bootstrap config', {
    mode: FetchMode,
    external_id: Type.String(),
    source: Type.Optional(Type.String({ description: 'client address; not with a device token' })),
    client_id: Type.String(),
  }),
  'bootstrap.failed': defineEvent('a device was refused its bootstrap config', {
    mode: FetchMode,
    external_id: Type.Optional(Type.String()),
    source: Type.Optional(Type.String({ description: 'client address; not with a device token' })),
    client_id: Type.Optional(Type.String()),
    reason: Type.String(),
  }),
  'bootstrap.config_created': defineEvent(
    'a bootstrap config was created (API, import, or certificate admission)',
    {
      client_id: Type.String(),
      external_id: Type.String(),
      name: StringOrNull,
      channels: Type.Array(Type.String()),
      state: ConfigState,
      held: Type.Boolean(),
      via: Type.Optional(Type.Union([Type.Literal('import'), Type.Literal('enrollment')])),
    },
  ),
  'bootstrap.config_updated': defineEvent('a bootstrap config changed', {
    client_id: Type.String(),
    fields: Type.Array(Type.String(), { description: 'the wire names of the changed fields' }),
    added: Type.Optional(Type.Array(Type.String(), { description: 'channels connected' })),
    removed: Type.Optional(Type.Array(Type.String(), { description: 'channels disconnected' })),
    device_id: Type.Optional(StringOrNull),
    ...viaImport,
  }),
  'bootstrap.config_removed': defineEvent('a bootstrap config was removed', {
    client_id: Type.String(),
    external_id: Type.String(),
  }),
  'bootstrap.state_changed': defineEvent("a config's state (Magistrala's active/inactive) changed", {
    client_id: Type.String(),
    from: ConfigState,
    state: ConfigState,
    ...viaImport,
  }),
  'bootstrap.hold_changed': defineEvent(
    'a bootstrap config was held (it delivers nothing) or released ([ADR 8](adr/0008-bootstrap.md) "Workflow order and holding a config")',
    { client_id: Type.String(), from: Type.Boolean(), held: Type.Boolean(), ...viaImport },
  ),
  'bootstrap.settings_changed': defineEvent("a tenant's bootstrap settings changed", {
    hold_new_configs: Type.Boolean(),
  }),
  'bootstrap.channel_created': defineEvent('a channel was created', { ...channel, name: Type.String() }),
  'bootstrap.channel_updated': defineEvent('a channel was changed', {
    ...channel,
    name: Type.String(),
    previous_name: Type.String(),
  }),
  'bootstrap.channel_removed': defineEvent('a channel was removed', channel),
};

/** pki.*: CAs, certificates of the built-in CA, EST enrollment credentials. */
export const pkiEvents = {
  'pki.ca_registered': defineEvent('a CA certificate was uploaded (not yet verified)', ca),
  'pki.ca_verified': defineEvent('a CA proved possession of its key', ca),
  'pki.ca_updated': defineEvent('a CA was changed (renamed, enabled or disabled)', {
    ca_id: Type.String(),
    enabled: Type.Optional(Type.Boolean({ description: 'when the request set it' })),
  }),
  'pki.ca_removed': defineEvent('a CA was removed', { ca_id: Type.String(), fingerprint: Type.String() }),
  'pki.ca_crl_uploaded': defineEvent("a CA's CRL was uploaded", {
    ca_id: Type.String(),
    entries: Type.Integer(),
    this_update: Type.String({ description: 'RFC 3339' }),
  }),
  'pki.builtin_ca_created': defineEvent("the tenant's built-in CA was created", {
    ...ca,
    key_type: Type.Union([Type.Literal('ec-p256'), Type.Literal('rsa-3072')]),
  }),
  'pki.certificate_issued': defineEvent('the built-in CA issued a certificate', {
    ca_id: Type.String(),
    serial: Type.String(),
    subject: Type.String(),
    via: Type.Union([Type.Literal('api'), Type.Literal('est'), Type.Literal('est-reenroll')]),
    credential_id: Type.Optional(Type.String()),
    replaces_serial: Type.Optional(Type.String()),
  }),
  'pki.certificate_revoked': defineEvent('a certificate of the built-in CA was revoked', {
    ca_id: Type.String(),
    serial: Type.String(),
    reason: Type.Union([
      Type.Literal('unspecified'),
      Type.Literal('keyCompromise'),
      Type.Literal('affiliationChanged'),
      Type.Literal('superseded'),
      Type.Literal('cessationOfOperation'),
      Type.Literal('privilegeWithdrawn'),
    ]),
  }),
  'pki.enrollment_credential_created': defineEvent('an EST enrollment credential was created', {
    credential_id: Type.String(),
    name: Type.String(),
  }),
  'pki.enrollment_credential_removed': defineEvent('an EST enrollment credential was removed', {
    credential_id: Type.String(),
  }),
};

/** enrollment.*: enrollment groups and individual enrollments ([enrollment.md](enrollment.md)). */
export const enrollmentEvents = {
  'enrollment.group_created': defineEvent('an enrollment group was created', {
    ...group,
    enabled: Type.Boolean(),
  }),
  'enrollment.group_updated': defineEvent('an enrollment group was changed', {
    ...group,
    enabled: Type.Boolean(),
  }),
  'enrollment.group_removed': defineEvent('an enrollment group was removed', group),
  'enrollment.individual_created': defineEvent('an individual enrollment was created', {
    ...individual,
    enrollment_group_id: StringOrNull,
    enabled: Type.Boolean(),
  }),
  'enrollment.individual_updated': defineEvent('an individual enrollment was changed', {
    ...individual,
    enrollment_group_id: StringOrNull,
    enabled: Type.Boolean(),
  }),
  'enrollment.individual_removed': defineEvent('an individual enrollment was removed', individual),
};

/** factory.* and import.*: factory keys and device imports. */
export const factoryEvents = {
  'factory.registered': defineEvent('a factory key was registered', {
    factory_id: Type.String(),
    name: Type.String(),
    fingerprint: Type.String(),
    ...byUser,
  }),
  'factory.disabled': defineEvent('a factory key was disabled', {
    factory_id: Type.String(),
    name: Type.String(),
    ...byUser,
  }),
  'import.started': defineEvent('a device import was accepted and started', {
    import_id: Type.String(),
    manifest_sha256: Type.String(),
    lines: Type.Integer(),
    factory_id: Type.Optional(Type.String({ description: 'signed imports' })),
    factory_name: Type.Optional(Type.String({ description: 'signed imports' })),
    unsigned: Type.Optional(Type.Literal(true)),
    ...byUser,
  }),
  'import.finished': defineEvent('a device import finished', {
    import_id: Type.String(),
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    created: Type.Integer(),
    unchanged: Type.Integer(),
    conflicts: Type.Integer(),
    invalid: Type.Integer(),
  }),
};

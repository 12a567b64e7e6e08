import { type Static, Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import type { BootstrapConfig, Channel } from './bootstrap-types.js';
import {
  MAX_CHANNELS_PER_CONFIG,
  MAX_CONTENT_LENGTH,
  MAX_EXTERNAL_ID_LENGTH,
  MAX_EXTERNAL_KEY_LENGTH,
  MAX_NAME_LENGTH,
  MAX_PEM_LENGTH,
  MAX_SECRET_LENGTH,
} from './bootstrap-types.js';

// Wire shapes of the bootstrap routes. Magistrala's snake_case lives here only
// (docs/principles.md#routes-are-thin-wire-shapes-stay-at-the-edge).
// Request objects allow unknown fields, as Go's JSON decoder does: Magistrala's SDK sends a whole
// config (channels as objects, external_key ...) to routes that read two fields of it.

const Id = Type.String({ minLength: 1, maxLength: 64 });
export const DomainParams = Type.Object({
  domainID: Type.String({ maxLength: 64, description: 'tenant id' }),
});
export const ConfigParams = Type.Object({
  domainID: Type.String({ maxLength: 64, description: 'tenant id' }),
  configID: Type.String({ maxLength: 64, description: 'config id = client_id' }),
});
export const ChannelParams = Type.Object({
  domainID: Type.String({ maxLength: 64 }),
  channelID: Type.String({ maxLength: 64 }),
});
const Metadata = Type.Unsafe<Record<string, unknown>>(
  Type.Object({}, { additionalProperties: true, maxProperties: 1024, description: 'free JSON object' }),
);
const TemplateMode = Type.Union([Type.Literal('none'), Type.Literal('text'), Type.Literal('json')], {
  description: 'none (default): content verbatim; text / json: content is a template (README, Bootstrap)',
});
const Pem = (description: string) => Type.String({ maxLength: MAX_PEM_LENGTH, description });

export const CreateConfigBody = Type.Object({
  external_id: Type.String({ minLength: 1, maxLength: MAX_EXTERNAL_ID_LENGTH }),
  external_key: Type.String({ minLength: 1, maxLength: MAX_EXTERNAL_KEY_LENGTH }),
  client_id: Type.Optional(Type.String({ maxLength: 64, description: 'UUID; generated when absent' })),
  client_secret: Type.Optional(
    Type.String({ maxLength: MAX_SECRET_LENGTH, description: 'generated when absent' }),
  ),
  channels: Type.Optional(Type.Array(Id, { maxItems: MAX_CHANNELS_PER_CONFIG })),
  name: Type.Optional(Type.String({ maxLength: MAX_NAME_LENGTH })),
  content: Type.Optional(Type.String({ maxLength: MAX_CONTENT_LENGTH })),
  content_template: Type.Optional(TemplateMode),
  client_cert: Type.Optional(Pem('PEM or base64 DER client certificate')),
  client_key: Type.Optional(Pem('PEM client private key (stored sealed, never shown again)')),
  ca_cert: Type.Optional(Pem('PEM CA certificate(s)')),
  device_id: Type.Optional(
    Type.String({ maxLength: 64, description: 'Gatehouse device to link (templates, device token)' }),
  ),
  held: Type.Optional(
    Type.Boolean({
      description:
        "Gatehouse: true = the device routes refuse it until released; absent = the tenant's hold_new_configs",
    }),
  ),
});
export type CreateConfigBody = Static<typeof CreateConfigBody>;

export const UpdateConfigBody = Type.Object({
  name: Type.Optional(Type.String({ maxLength: MAX_NAME_LENGTH })),
  content: Type.Optional(Type.String({ maxLength: MAX_CONTENT_LENGTH })),
  content_template: Type.Optional(TemplateMode),
});
export const CertsBody = Type.Object({
  client_cert: Type.Optional(Pem('client certificate')),
  client_key: Type.Optional(Pem('client private key')),
  ca_cert: Type.Optional(Pem('CA certificate(s)')),
});
export const ConnectionsBody = Type.Object({
  channels: Type.Array(Id, { maxItems: MAX_CHANNELS_PER_CONFIG }),
});
export const StateBody = Type.Object({
  state: Type.Union([Type.Literal(0), Type.Literal(1)], {
    description: '1 = connected to its channels, 0 = disconnected (delivery is not affected: see held)',
  }),
});
export const HoldBody = Type.Object({
  held: Type.Boolean({ description: 'true = the device routes refuse the config; false = it delivers' }),
});
export const SettingsWire = Type.Object({
  hold_new_configs: Type.Boolean({
    description: 'new configs start held unless their create request says held: false (default false)',
  }),
});
export const DeviceLinkBody = Type.Object({
  device_id: Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]),
});

const NumText = (description: string) => Type.String({ maxLength: 9, pattern: '^[0-9]+$', description });
export const ListQuery = Type.Object({
  offset: Type.Optional(NumText('default 0')),
  limit: Type.Optional(NumText('default 10, at most 100')),
  state: Type.Optional(Type.String({ maxLength: 1, pattern: '^[01]$' })),
  held: Type.Optional(Type.String({ maxLength: 5, pattern: '^(true|false)$', description: 'Gatehouse' })),
  external_id: Type.Optional(Type.String({ maxLength: MAX_EXTERNAL_ID_LENGTH })),
  client_id: Type.Optional(Type.String({ maxLength: 64 })),
  client_key: Type.Optional(
    Type.String({ maxLength: MAX_SECRET_LENGTH, description: 'client secret, exact' }),
  ),
  name: Type.Optional(Type.String({ maxLength: MAX_NAME_LENGTH, description: 'case-insensitive substring' })),
  device_id: Type.Optional(
    Type.String({ maxLength: 64, description: 'the Gatehouse device the config is linked to (at most one)' }),
  ),
});
export const PageQuery = Type.Object({
  offset: Type.Optional(NumText('default 0')),
  limit: Type.Optional(NumText('default 10, at most 100')),
});

const ChannelRef = Type.Object({
  id: Type.String(),
  name: Type.Optional(Type.String()),
  metadata: Type.Optional(Metadata),
});
export const ConfigView = Type.Object({
  client_id: Type.String(),
  external_id: Type.String(),
  name: Type.Optional(Type.String()),
  content: Type.Optional(Type.String()),
  content_template: TemplateMode,
  state: Type.Integer({ description: '1 connected to its channels, 0 disconnected' }),
  held: Type.Boolean({ description: 'Gatehouse: true = the device routes refuse it' }),
  channels: Type.Array(Type.Object({ ...ChannelRef.properties, connected: Type.Boolean() })),
  client_cert: Type.Optional(Type.String()),
  ca_cert: Type.Optional(Type.String()),
  has_client_key: Type.Boolean(),
  device_id: Type.Optional(Type.String()),
  created_at: Type.String(),
  updated_at: Type.String(),
});
export const ConfigList = Type.Object({
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  configs: Type.Array(ConfigView),
});
export const CertsView = Type.Object({
  client_id: Type.String(),
  client_cert: Type.Optional(Type.String()),
  ca_cert: Type.Optional(Type.String()),
});

/** Secrets (external key, client secret, client key) are never part of a view. */
export const configToWire = (c: BootstrapConfig): Static<typeof ConfigView> => ({
  client_id: c.id,
  external_id: c.externalId,
  ...(c.name !== null ? { name: c.name } : {}),
  ...(c.content !== null ? { content: c.content } : {}),
  content_template: c.contentTemplate,
  state: c.state,
  held: c.held,
  channels: c.channels.map((ch) => ({
    id: ch.id,
    name: ch.name,
    metadata: ch.metadata,
    connected: ch.active,
  })),
  ...(c.clientCert !== null ? { client_cert: c.clientCert } : {}),
  ...(c.caCert !== null ? { ca_cert: c.caCert } : {}),
  has_client_key: c.hasClientKey,
  ...(c.deviceId !== null ? { device_id: c.deviceId } : {}),
  created_at: toRfc3339(c.createdAt),
  updated_at: toRfc3339(c.updatedAt),
});

export const ChannelBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
  metadata: Type.Optional(Metadata),
});
export const ChannelWire = Type.Object({
  id: Type.String(),
  name: Type.String(),
  metadata: Metadata,
  created_at: Type.String(),
  updated_at: Type.String(),
});
export const ChannelList = Type.Object({
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  channels: Type.Array(ChannelWire),
});
export const channelToWire = (c: Channel): Static<typeof ChannelWire> => ({
  id: c.id,
  name: c.name,
  metadata: c.metadata,
  created_at: toRfc3339(c.createdAt),
  updated_at: toRfc3339(c.updatedAt),
});

/** Magistrala's bootstrap response (docs/compat/magistrala-bootstrap.md#bootstrap-response). */
export const DeliveryBody = Type.Object({
  client_id: Type.String(),
  client_secret: Type.String(),
  channels: Type.Array(ChannelRef),
  content: Type.Optional(Type.String()),
  client_cert: Type.Optional(Type.String()),
  client_key: Type.Optional(Type.String()),
  ca_cert: Type.Optional(Type.String()),
});
export const ExternalIdParams = Type.Object({
  external_id: Type.String({ maxLength: MAX_EXTERNAL_ID_LENGTH, description: 'external id (e.g. MAC)' }),
});
export const Binary = (description: string) => ({
  description,
  content: {
    'application/octet-stream': { schema: Type.Unsafe<unknown>({ type: 'string', format: 'binary' }) },
  },
});

const B64u32 = (description: string) =>
  Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]+$', description });
export const V2DomainParams = Type.Object({
  domainID: Type.String({ maxLength: 64, pattern: '^[0-9a-fA-F-]{36}$', description: 'tenant id' }),
});
export const V2ChallengeBody = Type.Object({
  external_id: Type.String({ minLength: 1, maxLength: MAX_EXTERNAL_ID_LENGTH }),
});
export const V2ChallengeWire = Type.Object({
  challenge_id: Type.String(),
  server_nonce: Type.String({ description: '32 bytes, unpadded base64url' }),
  expires_at: Type.String({ description: 'RFC 3339' }),
});
export const V2ExchangeBody = Type.Object({
  external_id: Type.String({ minLength: 1, maxLength: MAX_EXTERNAL_ID_LENGTH }),
  challenge_id: Type.String({ minLength: 1, maxLength: 64 }),
  device_nonce: B64u32('32 random bytes, unpadded base64url'),
  proof: B64u32('HMAC-SHA256(auth_key, transcript), unpadded base64url'),
});
export const V2ResponseWire = Type.Object({
  version: Type.Literal('v2'),
  challenge_id: Type.String(),
  nonce: Type.String({ description: 'AES-GCM nonce (12 bytes), unpadded base64url' }),
  ciphertext: Type.String({ description: 'AES-256-GCM ciphertext ‖ tag, unpadded base64url' }),
});

import { type Static, Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { bulkActions, bulkFailureCodes, MAX_BULK_DEVICES } from './devauth-service-bulk.js';
import {
  type AuthSet,
  authSetStatuses,
  type DeviceWithAuthSets,
  deviceStatuses,
  pendingReasons,
} from './devauth-types.js';
import { keyTypeLabel } from './pubkey.js';

// Mender's wire shapes (snake_case) live only here: docs/compat/mender-device-auth.md and
// docs/compat/mender-management.md#devauth-devices.

export const AuthRequestBody = Type.Object(
  {
    id_data: Type.String({ description: 'identity attributes as a JSON object, serialised to a string' }),
    pubkey: Type.String({ description: 'device public key, PEM SubjectPublicKeyInfo' }),
    tenant_token: Type.Optional(
      Type.String({ description: 'device tenant token; empty for the default tenant' }),
    ),
  },
  {
    description:
      'Signed with the device key; X-MEN-Signature carries the base64 signature of the raw body bytes.',
  },
);

const IdentityData = Type.Object({}, { additionalProperties: true, description: 'identity attributes' });

export const AuthSetWire = Type.Object({
  id: Type.String(),
  identity_data: IdentityData,
  pubkey: Type.String(),
  ts: Type.String({ description: 'RFC 3339 creation time' }),
  status: Type.Enum([...authSetStatuses]),
  fingerprint: Type.String({
    description:
      'lowercase hex SHA-256 of the public key (DER SubjectPublicKeyInfo), as `openssl pkey -pubin -outform DER | sha256sum` prints it',
  }),
  key_type: Type.String({ description: 'rsa-<bits>, ec-p256, ec-p384, ec-p521 or ed25519' }),
});

export const DeviceWire = Type.Object(
  {
    id: Type.String(),
    identity_data: IdentityData,
    status: Type.Enum([...deviceStatuses]),
    decommissioning: Type.Boolean(),
    created_ts: Type.String(),
    updated_ts: Type.String(),
    check_in_time: Type.Optional(Type.String()),
    auth_sets: Type.Array(AuthSetWire),
    pending_reason: Type.Optional(
      Type.Enum([...pendingReasons], {
        description:
          'only with a pending auth set: new_device (no other auth set), new_key (the device has an accepted, rejected or preauthorized key too), key_collision (its key was presented under another identity in the last 24 h; wins over the others)',
      }),
    ),
    import: Type.Optional(
      Type.Object(
        { id: Type.String(), line: Type.Integer(), factory_id: Type.Optional(Type.String()) },
        {
          description:
            'devices created by a manifest import: the import, the manifest line, and the factory whose key signed the manifest',
        },
      ),
    ),
  },
  { $id: 'DevauthDevice' },
);
export type DeviceWireT = Static<typeof DeviceWire>;

export const StatusFilter = Type.Enum([...deviceStatuses]);

/** `q`, `group` and `tag`: the search of the device list, count and bulk filter. */
function SearchFields() {
  return {
    q: Type.Optional(
      Type.String({
        maxLength: 256,
        description:
          'device id prefix, auth-set fingerprint prefix (hex, at least 4 digits, colons allowed), or the start of an identity or inventory attribute value (case-insensitive); in tenants of at most 10,000 devices also any part of a value (header X-Search-Match)',
      }),
    ),
    group: Type.Optional(Type.String({ maxLength: 1024, description: 'inventory (static) group' })),
    tag: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: 'inventory tag: `name` or `name=value`' }),
    ),
  };
}

export const CountQuery = Type.Object({
  status: Type.Optional(Type.String({ maxLength: 32 })),
  ...SearchFields(),
});

export const BulkBody = Type.Object({
  action: Type.Enum([...bulkActions]),
  device_ids: Type.Optional(
    Type.Array(Type.String({ maxLength: 64 }), {
      minItems: 1,
      maxItems: MAX_BULK_DEVICES,
      description: "unique; unknown ids (and other tenants') are reported as not_found",
    }),
  ),
  filter: Type.Optional(
    Type.Object(
      {
        status: Type.Optional(Type.Union([StatusFilter, Type.Array(StatusFilter, { maxItems: 5 })])),
        ...SearchFields(),
      },
      {
        // Refused, not dropped: a misspelt key would otherwise widen the filter to every device.
        propertyNames: { enum: ['status', 'q', 'group', 'tag'] },
        description: `selects at most ${MAX_BULK_DEVICES} devices, oldest first; {} selects every device`,
      },
    ),
  ),
  group: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'accept only: inventory group of each accepted device',
    }),
  ),
  tags: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String({ minLength: 1, maxLength: 1024 }),
        value: Type.String({ maxLength: 4096 }),
      }),
      {
        maxItems: 50,
        description: "accept only: tags merged into each accepted device's tags (20 at most per device)",
      },
    ),
  ),
});

export const BulkResponse = Type.Object({
  results: Type.Array(
    Type.Object({
      device_id: Type.String(),
      ok: Type.Boolean(),
      status: Type.Optional(
        Type.Enum([...deviceStatuses], { description: "the device's status afterwards" }),
      ),
      removed: Type.Optional(
        Type.Boolean({ description: 'the device is gone (decommissioned, or dismissed with nothing left)' }),
      ),
      code: Type.Optional(Type.Enum([...bulkFailureCodes])),
      error: Type.Optional(Type.String()),
    }),
  ),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  truncated: Type.Boolean({ description: `the filter matched more than ${MAX_BULK_DEVICES} devices` }),
});

export const ListDevicesQuery = Type.Object({
  // Repeatable (?status=a&status=b); one occurrence arrives as a plain string.
  status: Type.Optional(Type.Union([StatusFilter, Type.Array(StatusFilter, { maxItems: 5 })])),
  id: Type.Optional(
    Type.Union([
      Type.String({ maxLength: 64 }),
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 }),
    ]),
  ),
  page: Type.Optional(Type.String({ maxLength: 10 })),
  per_page: Type.Optional(Type.String({ maxLength: 10 })),
  after: Type.Optional(
    Type.String({
      maxLength: 128,
      description:
        'keyset pagination instead of `page`: empty for the first page, then the cursor from the `Link: <…>; rel="next"` header; each page costs the same however deep',
    }),
  ),
  ...SearchFields(),
});

export const SearchDevicesBody = Type.Object({
  status: Type.Optional(Type.Union([StatusFilter, Type.Array(StatusFilter, { maxItems: 5 })])),
  id: Type.Optional(
    Type.Union([
      Type.String({ maxLength: 64 }),
      Type.Array(Type.String({ maxLength: 64 }), { maxItems: 500 }),
    ]),
  ),
});

export const PreauthBody = Type.Object({
  identity_data: Type.Object({}, { additionalProperties: true, maxProperties: 64 }),
  pubkey: Type.String({ minLength: 1, maxLength: 8192 }),
  force: Type.Optional(Type.Boolean()),
});

export const StatusBody = Type.Object({ status: Type.String({ maxLength: 32 }) });
export const StatusResponse = Type.Object({ status: Type.Enum([...authSetStatuses]) });
export const CountResponse = Type.Object({ count: Type.Integer() });
export const LimitResponse = Type.Object({ limit: Type.Integer({ description: '-1 means unlimited' }) });

const authSetToWire = (d: DeviceWithAuthSets, a: AuthSet) => ({
  id: a.id,
  identity_data: d.identity,
  pubkey: a.pubkey,
  ts: toRfc3339(a.createdAt),
  status: a.status,
  // pubkey_sha256 is the digest of the DER SPKI (pubkey.ts): the fingerprint, no crypto per request.
  fingerprint: a.pubkeySha256,
  key_type: keyTypeLabel(a.keyType, a.pubkey),
});

export const deviceToWire = (d: DeviceWithAuthSets): DeviceWireT => ({
  id: d.id,
  identity_data: d.identity,
  status: d.status,
  decommissioning: false,
  created_ts: toRfc3339(d.createdAt),
  updated_ts: toRfc3339(d.updatedAt),
  ...(d.checkInAt !== null ? { check_in_time: toRfc3339(d.checkInAt) } : {}),
  auth_sets: d.authSets.map((a) => authSetToWire(d, a)),
  ...(d.pendingReason ? { pending_reason: d.pendingReason } : {}),
  ...(d.origin
    ? {
        import: {
          id: d.origin.importId,
          line: d.origin.importLine,
          ...(d.origin.factoryId ? { factory_id: d.origin.factoryId } : {}),
        },
      }
    : {}),
});

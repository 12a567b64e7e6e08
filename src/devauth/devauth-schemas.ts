import { type Static, Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { type AuthSet, authSetStatuses, type DeviceWithAuthSets, deviceStatuses } from './devauth-types.js';

// Mender's wire shapes (snake_case) live only here. spec/mender-api.md §1, §2.

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
  },
  { $id: 'DevauthDevice' },
);
export type DeviceWireT = Static<typeof DeviceWire>;

export const StatusFilter = Type.Enum([...deviceStatuses]);

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
});

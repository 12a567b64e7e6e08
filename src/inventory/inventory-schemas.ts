import { type Static, Type } from 'typebox';
import { toRfc3339 } from '../core/clock.js';
import { MAX_FILTERS, MAX_NAME_LENGTH, MAX_SORT_KEYS, MAX_TEXT_LENGTH } from './inventory-filters.js';
import { scopes } from './inventory-repo.js';
import type { DeviceView } from './inventory-service-mgmt.js';

// Mender's inventory wire shapes (snake_case) live only here (docs/compat/mender-management.md).

export const MAX_DEVICE_IDS = 10_000;
/** Device auth statuses (the values of `identity/status`). */
const deviceStatuses = ['pending', 'accepted', 'rejected', 'preauthorized', 'noauth'] as const;
export const MAX_PROJECTION = 256;

const Name = Type.String({ minLength: 1, maxLength: MAX_NAME_LENGTH });
const ScopeName = Type.String({
  maxLength: 32,
  description: `${scopes.join(', ')}, or any other scope name (whose attributes do not exist here)`,
});
const DeviceId = Type.String({ maxLength: 64 });
const Value = Type.Unknown({ description: 'a string, a number, or an array of strings or of numbers' });

export const AttributeWire = Type.Object({
  name: Type.String(),
  value: Value,
  scope: Type.String(),
  description: Type.Optional(Type.String()),
});

export const InventoryDeviceWire = Type.Object(
  {
    id: Type.String(),
    attributes: Type.Array(AttributeWire),
    updated_ts: Type.String({ description: 'RFC 3339; newest change of any attribute of the device' }),
  },
  { $id: 'InventoryDevice' },
);
export type InventoryDeviceWireT = Static<typeof InventoryDeviceWire>;

export const deviceToWire = (d: DeviceView): InventoryDeviceWireT => ({
  id: d.id,
  attributes: d.attributes.map((a) => ({
    name: a.name,
    value: a.value,
    scope: a.scope,
    ...(a.description !== null ? { description: a.description } : {}),
  })),
  updated_ts: toRfc3339(d.updatedAt),
});

export const DeviceParams = Type.Object({ id: DeviceId });
export const GroupParams = Type.Object({ name: Type.String({ maxLength: MAX_NAME_LENGTH }) });
export const DeviceGroupParams = Type.Object({
  id: DeviceId,
  name: Type.String({ maxLength: MAX_NAME_LENGTH }),
});

export const ListDevicesQuery = Type.Object(
  {
    page: Type.Optional(Type.String({ maxLength: 10 })),
    per_page: Type.Optional(Type.String({ maxLength: 10 })),
    sort: Type.Optional(
      Type.String({
        maxLength: 4096,
        description: 'attribute[:asc|desc], comma-separated; `scope/name` or a bare inventory name',
      }),
    ),
    has_group: Type.Optional(Type.String({ maxLength: 8 })),
    group: Type.Optional(Type.String({ maxLength: MAX_NAME_LENGTH })),
  },
  {
    additionalProperties: true,
    description:
      'Any other parameter filters by attribute: `scope/name=value` or `name=value` (inventory scope); an `eq:` prefix is allowed.',
  },
);

export const TagsBody = Type.Array(
  Type.Object(
    { name: Name, value: Value, description: Type.Optional(Type.String({ maxLength: 1024 })) },
    { additionalProperties: true, maxProperties: 16 },
  ),
  { maxItems: 100 },
);
export const IfMatchHeaders = Type.Object({ 'if-match': Type.Optional(Type.String({ maxLength: 1024 })) });

export const GroupBody = Type.Object({
  group: Type.String({ maxLength: MAX_NAME_LENGTH, description: '[A-Za-z0-9_-]{1,1024}' }),
});
export const GroupResponse = Type.Object({ group: Type.Union([Type.String(), Type.Null()]) });
export const GroupsQuery = Type.Object({ status: Type.Optional(Type.Enum([...deviceStatuses])) });
export const DeviceIdsBody = Type.Array(DeviceId, { minItems: 1, maxItems: MAX_DEVICE_IDS });
export const UpdatedCount = Type.Object({ updated_count: Type.Integer() });
export const UpdatedMatchedCount = Type.Object({
  updated_count: Type.Integer(),
  matched_count: Type.Integer(),
});

const FilterTerm = Type.Object({
  scope: ScopeName,
  attribute: Name,
  type: Type.String({
    maxLength: 16,
    description: '$eq $ne $in $nin $gt $gte $lt $lte $exists $regex',
  }),
  value: Type.Optional(Value),
});
const SortTerm = Type.Object({
  scope: ScopeName,
  attribute: Name,
  order: Type.String({ maxLength: 8, description: 'asc or desc' }),
});

export const SearchBody = Type.Object({
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: '1..500' })),
  filters: Type.Optional(Type.Array(FilterTerm, { maxItems: MAX_FILTERS })),
  sort: Type.Optional(Type.Array(SortTerm, { maxItems: MAX_SORT_KEYS })),
  attributes: Type.Optional(
    Type.Array(Type.Object({ scope: ScopeName, attribute: Name }), { maxItems: MAX_PROJECTION }),
  ),
  device_ids: Type.Optional(Type.Array(DeviceId, { maxItems: MAX_DEVICE_IDS })),
  text: Type.Optional(
    Type.String({
      maxLength: MAX_TEXT_LENGTH,
      description: 'whitespace-separated keywords; each must occur in some attribute value',
    }),
  ),
});

export const FilterAttributeWire = Type.Object({
  name: Type.String(),
  scope: Type.String(),
  count: Type.Integer(),
});

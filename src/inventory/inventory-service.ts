import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { sha256Hex } from '../core/hash.js';
import { isForeignKeyViolation, type Store } from '../store/store.js';
import {
  type Attribute,
  type AttributeValue,
  listDeviceAttributes,
  lockDeviceInventory,
  prepareDigestRead,
  replaceScope,
  upsertAttributes,
  writeDigest,
} from './inventory-repo.js';

export const MAX_ATTRIBUTES_PER_REQUEST = 100;
export const MAX_ATTRIBUTE_NAME_LENGTH = 1024;
export const MAX_ATTRIBUTE_STRING_LENGTH = 16 * 1024;
export const MAX_ATTRIBUTE_ARRAY_ITEMS = 256;
const MAX_DESCRIPTION_LENGTH = 1024;

const bad = (message: string) => new AppError('INVENTORY_BAD_ATTRIBUTES', 400, message);

type Input = { name: string; value: AttributeValue; description: string | null };

/**
 * Validates what a device reports (docs/compat/mender-management.md#device-attributes): a JSON
 * array of {name, value, description?};
 * values are strings, numbers, or homogeneous arrays of either. `scope` and `timestamp` in the
 * body are ignored: the device always writes the `inventory` scope.
 */
export const parseDeviceAttributes = (body: unknown): Input[] => {
  if (!Array.isArray(body)) throw bad('attributes must be a JSON array');
  if (body.length > MAX_ATTRIBUTES_PER_REQUEST)
    throw bad(`at most ${MAX_ATTRIBUTES_PER_REQUEST} attributes per request`);
  const seen = new Map<string, Input>();
  for (const item of body) {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw bad('each attribute must be an object');
    const { name, value, description } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_ATTRIBUTE_NAME_LENGTH) {
      throw bad(`attribute name must be 1..${MAX_ATTRIBUTE_NAME_LENGTH} characters`);
    }
    if (
      description !== undefined &&
      description !== null &&
      (typeof description !== 'string' || description.length > MAX_DESCRIPTION_LENGTH)
    ) {
      throw bad(
        `attribute ${name}: description must be a string of at most ${MAX_DESCRIPTION_LENGTH} characters`,
      );
    }
    seen.set(name, {
      name,
      value: checkValue(name, value),
      description: (description as string | undefined) ?? null,
    });
  }
  return [...seen.values()];
};

const checkValue = (name: string, v: unknown): AttributeValue => {
  const unsupported = () => bad(`attribute ${name}: supported types are string, number, and arrays thereof`);
  if (typeof v === 'string') {
    if (v.length > MAX_ATTRIBUTE_STRING_LENGTH) throw bad(`attribute ${name}: value too long`);
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw unsupported();
    return v;
  }
  if (!Array.isArray(v)) throw unsupported();
  if (v.length > MAX_ATTRIBUTE_ARRAY_ITEMS)
    throw bad(`attribute ${name}: at most ${MAX_ATTRIBUTE_ARRAY_ITEMS} values`);
  if (v.every((x) => typeof x === 'string' && x.length <= MAX_ATTRIBUTE_STRING_LENGTH)) return v as string[];
  if (v.every((x) => typeof x === 'number' && Number.isFinite(x))) return v as number[];
  throw unsupported();
};

export interface InventoryService {
  /** PUT (replace the device's inventory scope) or PATCH (upsert the listed attributes). */
  reportAttributes(
    tenantId: string,
    deviceId: string,
    body: unknown,
    mode: 'replace' | 'merge',
  ): Promise<void>;
  deviceAttributes(tenantId: string, deviceId: string): Promise<Attribute[]>;
}

export const createInventoryService = (deps: { store: Store; clock: Clock }): InventoryService => {
  const readDigest = prepareDigestRead(deps.store);
  return {
    async reportAttributes(tenantId, deviceId, body, mode) {
      const attrs = parseDeviceAttributes(body);
      const nowMs = deps.clock.nowMs();
      // The client re-sends its whole inventory every poll, attributes in random order: compare a
      // digest of the sorted report with the last one stored and skip the write when nothing changed.
      const digest =
        mode === 'replace'
          ? sha256Hex(
              JSON.stringify([...attrs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))),
            )
          : null;
      if (digest !== null && (await readDigest(deviceId, 'inventory')) === digest) return;
      try {
        await deps.store.db.transaction().execute(async (tx) => {
          await lockDeviceInventory(tx, deviceId);
          if (mode === 'replace') await replaceScope(tx, tenantId, deviceId, 'inventory', attrs, nowMs);
          else await upsertAttributes(tx, tenantId, deviceId, 'inventory', attrs, nowMs);
          await writeDigest(tx, deviceId, 'inventory', digest, nowMs);
        });
      } catch (e) {
        // The device was decommissioned between the token check and this write.
        if (isForeignKeyViolation(e)) throw new AppError('INVENTORY_DEVICE_GONE', 401, 'unauthorized');
        throw e;
      }
    },
    deviceAttributes: (tenantId, deviceId) => listDeviceAttributes(deps.store.db, tenantId, deviceId),
  };
};

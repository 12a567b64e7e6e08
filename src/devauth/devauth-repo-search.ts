import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Database } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import { toDevice } from './devauth-repo-devices.js';
import type { Device, DeviceFilter, DeviceInventorySql } from './devauth-types.js';

// Device lists, counts and bulk selections of the management API: one WHERE for all three.
//
// The search text `q` matches a device id prefix, an auth-set fingerprint prefix or a substring
// of an identity or inventory value. The prefixes are ranges on indexes (the primary key;
// auth_sets_tenant_key_uq on (tenant_id, pubkey_sha256)); the substring scans the tenant's
// attribute rows. Ranges are [prefix, prefix + 'g'): every character of a UUID or a hex digest
// sorts below 'g' under any collation PostgreSQL may use (C, ICU, glibc), so the range holds
// exactly the strings that start with the prefix, and the btree index answers it.

/** The parts of a search text that can match ids and fingerprints. */
export interface SearchText {
  /** Lowercase, the start of a canonical UUID. */
  idPrefix?: string;
  /** Lowercase hex (colons dropped), 4..64 digits. */
  fingerprintPrefix?: string;
  /** The text itself, for a case-insensitive substring match on attribute values. */
  text: string;
}

const UUID_PREFIX =
  /^(?:[0-9a-f]{1,8}|[0-9a-f]{8}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-(?:[0-9a-f]{0,4}|[0-9a-f]{4}-[0-9a-f]{0,12}))))$/;

export const parseSearchText = (q: string): SearchText | undefined => {
  const text = q.trim();
  if (text === '') return undefined;
  const lower = text.toLowerCase();
  const hex = /^[0-9a-f:]+$/.test(lower) ? lower.replace(/:/g, '') : '';
  return {
    ...(UUID_PREFIX.test(lower) ? { idPrefix: lower } : {}),
    ...(hex.length >= 4 && hex.length <= 64 ? { fingerprintPrefix: hex } : {}),
    text,
  };
};

type DevicesEb = ExpressionBuilder<Database, 'devices'>;

const whereFilter =
  (tenantId: string, f: DeviceFilter, inventory: DeviceInventorySql | undefined) =>
  (eb: DevicesEb): Expression<SqlBool> => {
    const parts: Expression<SqlBool>[] = [eb('devices.tenant_id', '=', tenantId)];
    if (f.statuses && f.statuses.length > 0) parts.push(eb('devices.status', 'in', f.statuses));
    if (f.ids && f.ids.length > 0) parts.push(eb('devices.id', 'in', f.ids));
    const search = f.q === undefined ? undefined : parseSearchText(f.q);
    if (search) {
      const any: Expression<SqlBool>[] = [];
      if (search.idPrefix !== undefined)
        any.push(
          eb.and([eb('devices.id', '>=', search.idPrefix), eb('devices.id', '<', `${search.idPrefix}g`)]),
        );
      if (search.fingerprintPrefix !== undefined) {
        const p = search.fingerprintPrefix;
        any.push(
          eb(
            'devices.id',
            'in',
            eb
              .selectFrom('auth_sets')
              .select('auth_sets.device_id')
              .where('auth_sets.tenant_id', '=', tenantId)
              .where('auth_sets.pubkey_sha256', '>=', p)
              .where('auth_sets.pubkey_sha256', '<', `${p}g`),
          ),
        );
      }
      if (inventory) any.push(inventory.attributeText(tenantId, search.text));
      parts.push(any.length > 0 ? eb.or(any) : eb.val(false));
    }
    if (f.group !== undefined) parts.push(inventory ? inventory.group(tenantId, f.group) : eb.val(false));
    if (f.tag !== undefined)
      parts.push(inventory ? inventory.tag(tenantId, f.tag.name, f.tag.value) : eb.val(false));
    return eb.and(parts);
  };

/** A page of the devices the filter selects, oldest first. */
export const findDevices = async (
  db: Executor,
  tenantId: string,
  f: DeviceFilter,
  inventory: DeviceInventorySql | undefined,
  page: { offset: number; limit: number },
): Promise<Device[]> => {
  const rows = await db
    .selectFrom('devices')
    .selectAll()
    .where(whereFilter(tenantId, f, inventory))
    .orderBy('devices.created_at')
    .orderBy('devices.id')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
  return rows.map(toDevice);
};

/** Ids of the devices the filter selects, oldest first, at most `limit`. */
export const findDeviceIds = async (
  db: Executor,
  tenantId: string,
  f: DeviceFilter,
  inventory: DeviceInventorySql | undefined,
  limit: number,
): Promise<string[]> =>
  (
    await db
      .selectFrom('devices')
      .select('devices.id')
      .where(whereFilter(tenantId, f, inventory))
      .orderBy('devices.created_at')
      .orderBy('devices.id')
      .limit(limit)
      .execute()
  ).map((r) => r.id);

export const countFoundDevices = async (
  db: Executor,
  tenantId: string,
  f: DeviceFilter,
  inventory: DeviceInventorySql | undefined,
): Promise<number> => {
  const r = await db
    .selectFrom('devices')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where(whereFilter(tenantId, f, inventory))
    .executeTakeFirstOrThrow();
  return num(r.n);
};

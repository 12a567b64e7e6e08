import { type RawBuilder, sql } from 'kysely';
import { dialectOf } from '../store/dialect.js';
import type { Dialect, Executor } from '../store/store.js';
import { searchKey, startsWith, valueEquals, valueIn } from './inventory-repo-value-key.js';

/** What the device search `q` looks at: the identity scope (not the status mirror) and inventory. */
const SEARCHED = sql`(a.scope = 'inventory' or (a.scope = 'identity' and a.name <> 'status'))`;

/**
 * Device ids and conditions on `devices.id` for device searches of other domains (devauth's
 * device list and bulk actions take them through src/wiring.ts): inventory owns what attributes
 * mean. Values are stored as JSON text, so strings are compared in their JSON form, through the
 * indexed value keys (inventory-repo-value-key.ts).
 */
export const createInventoryDeviceSql = (db: Executor) => inventoryDeviceSql(dialectOf(db));

/** createInventoryDeviceSql for a known dialect (inside inventory's own queries). */
export const inventoryDeviceSql = (dialect: Dialect) => ({
  /**
   * Ids of the devices one of whose identity or inventory values starts with `text`,
   * case-insensitively: a string value, or a number written so. One range of
   * inventory_attributes_search_idx per form.
   */
  valuePrefixIds(tenantId: string, text: string): RawBuilder<unknown> {
    const lower = text.toLowerCase();
    // A string value's JSON text starts with a quote; the closing one is left off.
    const forms = [JSON.stringify(lower).slice(0, -1)];
    if (/^-?[0-9]/.test(lower)) forms.push(lower);
    const key = searchKey(dialect);
    const whole = sql`lower(a.value)`;
    return sql.join(
      forms.map(
        (p) =>
          sql`select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and ${SEARCHED} and ${startsWith(dialect, key, whole, p)}`,
      ),
      sql` union all `,
    );
  },

  /**
   * Ids of the devices one of whose identity or inventory values contains `text`,
   * case-insensitively. Reads every such value of the tenant: the caller bounds the tenant's size.
   */
  valueSubstringIds(tenantId: string, text: string): RawBuilder<unknown> {
    const escaped = JSON.stringify(text.toLowerCase())
      .slice(1, -1)
      .replace(/[\\%_]/g, (c) => `\\${c}`);
    return sql`select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and ${SEARCHED} and lower(a.value) like ${`%${escaped}%`} escape '\\'`;
  },

  /** Ids of the devices whose static group is `group` (each once). */
  groupIds(tenantId: string, group: string): RawBuilder<unknown> {
    return sql`select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and a.scope = 'system' and a.name = 'group' and ${valueEquals(dialect, JSON.stringify(group))}`;
  },

  /**
   * How many devices are in the static group (with one of `statuses`, when given): a few rows of
   * group_counts (migration 0014), whatever the group's size. A SELECT of `n`.
   */
  groupCount(
    tenantId: string,
    group: string,
    statuses?: readonly string[],
  ): RawBuilder<{ n: number | string }> {
    const ofStatus = statuses && statuses.length > 0 ? sql` and status in (${sql.join(statuses)})` : sql``;
    return sql<{ n: number | string }>`select coalesce(sum(n), 0) as n from group_counts
      where tenant_id = ${tenantId} and group_value = ${JSON.stringify(group)}${ofStatus}`;
  },

  /**
   * Ids of the devices with tag `name` (with `value`, when given; a numeric text also matches a
   * number), each once.
   */
  tagIds(tenantId: string, name: string, value?: string): RawBuilder<unknown> {
    const ofTag = sql`a.tenant_id = ${tenantId} and a.scope = 'tags' and a.name = ${name}`;
    if (value === undefined) return sql`select a.device_id from inventory_attributes a where ${ofTag}`;
    const forms = [JSON.stringify(value)];
    if (/^-?\d{1,15}(\.\d{1,15})?$/.test(value)) forms.push(JSON.stringify(Number(value)));
    return sql`select a.device_id from inventory_attributes a where ${ofTag} and ${valueIn(dialect, forms)}`;
  },
});

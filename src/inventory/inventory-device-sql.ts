import { type Expression, type SqlBool, sql } from 'kysely';

/**
 * Conditions on `devices.id` for device searches of other domains (devauth's device list and
 * bulk actions take them through src/wiring.ts): inventory owns what attributes mean. Values are
 * stored as JSON text, so strings are compared in their JSON form.
 */
export const inventoryDeviceSql = {
  /**
   * A case-insensitive substring of an identity or inventory attribute value (not the
   * `identity/status` mirror of the auth status). Scans the tenant's attribute rows.
   */
  attributeText(tenantId: string, text: string): Expression<SqlBool> {
    const escaped = JSON.stringify(text.toLowerCase())
      .slice(1, -1)
      .replace(/[\\%_]/g, (c) => `\\${c}`);
    return sql<SqlBool>`devices.id in (select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and (a.scope = 'inventory' or (a.scope = 'identity' and a.name <> 'status')) and lower(a.value) like ${`%${escaped}%`} escape '\\')`;
  },

  /** The device's static group is `group`. */
  group(tenantId: string, group: string): Expression<SqlBool> {
    return sql<SqlBool>`devices.id in (select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and a.scope = 'system' and a.name = 'group' and a.value = ${JSON.stringify(group)})`;
  },

  /** The device has tag `name` (with `value`, when given; a numeric text also matches a number). */
  tag(tenantId: string, name: string, value?: string): Expression<SqlBool> {
    if (value === undefined)
      return sql<SqlBool>`devices.id in (select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and a.scope = 'tags' and a.name = ${name})`;
    const forms = [JSON.stringify(value)];
    if (/^-?\d{1,15}(\.\d{1,15})?$/.test(value)) forms.push(JSON.stringify(Number(value)));
    return sql<SqlBool>`devices.id in (select a.device_id from inventory_attributes a where a.tenant_id = ${tenantId} and a.scope = 'tags' and a.name = ${name} and a.value in (${sql.join(forms)}))`;
  },
};

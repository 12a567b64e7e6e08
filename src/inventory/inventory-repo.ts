import { type Executor, num } from '../store/store.js';

export type AttributeValue = string | number | string[] | number[];
export const scopes = ['inventory', 'identity', 'system', 'tags'] as const;
export type Scope = (typeof scopes)[number];

export interface Attribute {
  scope: Scope;
  name: string;
  value: AttributeValue;
  description: string | null;
  updatedAt: number;
}

type NewAttribute = Omit<Attribute, 'scope' | 'updatedAt'>;

const toRows = (tenantId: string, deviceId: string, scope: Scope, attrs: NewAttribute[], nowMs: number) =>
  attrs.map((a) => ({
    tenant_id: tenantId,
    device_id: deviceId,
    scope,
    name: a.name,
    value: JSON.stringify(a.value),
    description: a.description,
    updated_at: nowMs,
  }));

export const replaceScope = async (
  tx: Executor,
  tenantId: string,
  deviceId: string,
  scope: Scope,
  attrs: NewAttribute[],
  nowMs: number,
): Promise<void> => {
  await tx
    .deleteFrom('inventory_attributes')
    .where('device_id', '=', deviceId)
    .where('scope', '=', scope)
    .execute();
  if (attrs.length === 0) return;
  await tx
    .insertInto('inventory_attributes')
    .values(toRows(tenantId, deviceId, scope, attrs, nowMs))
    .execute();
};

export const upsertAttributes = async (
  tx: Executor,
  tenantId: string,
  deviceId: string,
  scope: Scope,
  attrs: NewAttribute[],
  nowMs: number,
): Promise<void> => {
  if (attrs.length === 0) return;
  await tx
    .insertInto('inventory_attributes')
    .values(toRows(tenantId, deviceId, scope, attrs, nowMs))
    .onConflict((oc) =>
      oc.columns(['device_id', 'scope', 'name']).doUpdateSet((eb) => ({
        value: eb.ref('excluded.value'),
        description: eb.ref('excluded.description'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
};

export const deleteDeviceInventory = async (tx: Executor, deviceId: string): Promise<void> => {
  await tx.deleteFrom('inventory_attributes').where('device_id', '=', deviceId).execute();
};

export const listDeviceAttributes = async (
  db: Executor,
  tenantId: string,
  deviceId: string,
): Promise<Attribute[]> => {
  const rows = await db
    .selectFrom('inventory_attributes')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('device_id', '=', deviceId)
    .orderBy('scope')
    .orderBy('name')
    .execute();
  return rows.map((r) => ({
    scope: r.scope as Scope,
    name: r.name,
    value: JSON.parse(r.value) as AttributeValue,
    description: r.description,
    updatedAt: num(r.updated_at),
  }));
};

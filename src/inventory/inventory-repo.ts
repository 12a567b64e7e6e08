import { sql } from 'kysely';
import { createBatchedLookup } from '../store/batched-lookup.js';
import { lockKey } from '../store/conflicts.js';
import { dialectOf } from '../store/dialect.js';
import { prepareQuery } from '../store/prepared.js';
import { onRow } from '../store/row-check.js';
import { type Executor, num, type Store } from '../store/store.js';

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

/**
 * Serialises writers of one device's inventory until the transaction ends. Overlapping reports of
 * one device would otherwise deadlock or collide on PostgreSQL (READ COMMITTED); SQLite write
 * transactions are serialised already (BEGIN IMMEDIATE).
 */
export const lockDeviceInventory = (tx: Executor, deviceId: string): Promise<void> =>
  lockKey(tx, `inventory:${deviceId}`);

/**
 * Replaces a scope: removes the attributes not listed, upserts the listed ones. Written as
 * delete-others + upsert (not delete-all + insert) so that two overlapping reports of one
 * device under READ COMMITTED cannot both insert the same key (a unique violation).
 */
export const replaceScope = async (
  tx: Executor,
  tenantId: string,
  deviceId: string,
  scope: Scope,
  attrs: NewAttribute[],
  nowMs: number,
): Promise<void> => {
  let del = tx
    .deleteFrom('inventory_attributes')
    .where('device_id', '=', deviceId)
    .where('scope', '=', scope);
  if (attrs.length > 0) {
    del = del.where(
      'name',
      'not in',
      attrs.map((a) => a.name),
    );
  }
  await del.execute();
  await upsertAttributes(tx, tenantId, deviceId, scope, attrs, nowMs);
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
  await tx.deleteFrom('inventory_digests').where('device_id', '=', deviceId).execute();
  await tx.deleteFrom('inventory_attributes').where('device_id', '=', deviceId).execute();
};

/**
 * Reads the digest of a device's scope; compiled once (it runs on every inventory report). On
 * PostgreSQL the reads of one event-loop turn go out together, one statement per scope
 * (src/store/batched-lookup.ts), as the token lookups do (docs/adr/0004-token-revocation.md).
 */
export const prepareDigestRead = (store: Store) => {
  const db = store.db;
  if (dialectOf(db) === 'postgres') {
    const batch = prepareQuery(
      store,
      (scope: string, ids: readonly string[]) =>
        db
          .selectFrom('inventory_digests')
          .select(['device_id', 'digest'])
          .where('scope', '=', scope as Scope)
          .where(sql<boolean>`device_id = any(${sql.val(ids)})`),
      2,
    );
    const byScope = new Map<
      Scope,
      (deviceId: string) => Promise<{ device_id: string; digest: string } | undefined>
    >();
    return async (deviceId: string, scope: Scope): Promise<string | undefined> => {
      let lookup = byScope.get(scope);
      if (!lookup) {
        lookup = createBatchedLookup<{ device_id: string; digest: string }>({
          fetch: (ids) => batch(scope, ids),
          keyOf: (r) => r.device_id,
        });
        byScope.set(scope, lookup);
      }
      return (await lookup(deviceId))?.digest;
    };
  }
  const query = prepareQuery(
    store,
    (deviceId: string, scope: string) =>
      db
        .selectFrom('inventory_digests')
        .select('digest')
        .where('device_id', '=', deviceId)
        .where('scope', '=', scope),
    2,
  );
  return async (deviceId: string, scope: Scope): Promise<string | undefined> =>
    (await query(deviceId, scope))[0]?.digest;
};

/** Records the digest of the scope's full content, or forgets it (`null`) after a partial update. */
export const writeDigest = async (
  tx: Executor,
  deviceId: string,
  scope: Scope,
  digest: string | null,
  nowMs: number,
): Promise<void> => {
  if (digest === null) {
    await tx
      .deleteFrom('inventory_digests')
      .where('device_id', '=', deviceId)
      .where('scope', '=', scope)
      .execute();
    return;
  }
  await tx
    .insertInto('inventory_digests')
    .values({ device_id: deviceId, scope, digest, updated_at: nowMs })
    .onConflict((oc) =>
      oc.columns(['device_id', 'scope']).doUpdateSet((eb) => ({
        digest: eb.ref('excluded.digest'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
};

export const listDeviceAttributes = async (
  db: Executor,
  tenantId: string,
  deviceId: string,
): Promise<Attribute[]> => {
  const rows = await db
    .selectFrom('inventory_attributes')
    .selectAll()
    .where('device_id', '=', deviceId)
    .where(onRow('tenant_id'), '=', tenantId)
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

import type { Executor } from '../store/store.js';

/** Whose settings: a tenant's global ones, or one user's own. */
export type SettingsOwner =
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'user'; tenantId: string; userId: string };

export interface StoredSettings {
  /** The settings object's JSON text. */
  body: string;
  /** Random per write, without quotes. */
  etag: string;
}

export const readSettings = async (
  db: Executor,
  owner: SettingsOwner,
): Promise<StoredSettings | undefined> =>
  owner.kind === 'tenant'
    ? db
        .selectFrom('tenant_settings')
        .select(['body', 'etag'])
        .where('tenant_id', '=', owner.tenantId)
        .executeTakeFirst()
    : db
        .selectFrom('user_settings')
        .select(['body', 'etag'])
        .where('user_id', '=', owner.userId)
        .where('tenant_id', '=', owner.tenantId)
        .executeTakeFirst();

/** Creates or replaces the settings. */
export const upsertSettings = async (
  db: Executor,
  owner: SettingsOwner,
  next: StoredSettings,
  nowMs: number,
): Promise<void> => {
  const set = { body: next.body, etag: next.etag, updated_at: nowMs };
  if (owner.kind === 'tenant') {
    await db
      .insertInto('tenant_settings')
      .values({ tenant_id: owner.tenantId, ...set })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(set))
      .execute();
  } else {
    await db
      .insertInto('user_settings')
      .values({ user_id: owner.userId, tenant_id: owner.tenantId, ...set })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(set))
      .execute();
  }
};

/** Replaces the settings only while their ETag is still `expected`; whether it did. */
export const replaceSettingsIf = async (
  db: Executor,
  owner: SettingsOwner,
  expected: string,
  next: StoredSettings,
  nowMs: number,
): Promise<boolean> => {
  const set = { body: next.body, etag: next.etag, updated_at: nowMs };
  const r =
    owner.kind === 'tenant'
      ? await db
          .updateTable('tenant_settings')
          .set(set)
          .where('tenant_id', '=', owner.tenantId)
          .where('etag', '=', expected)
          .executeTakeFirst()
      : await db
          .updateTable('user_settings')
          .set(set)
          .where('user_id', '=', owner.userId)
          .where('tenant_id', '=', owner.tenantId)
          .where('etag', '=', expected)
          .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
};

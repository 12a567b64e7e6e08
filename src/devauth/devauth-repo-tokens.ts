import { sql } from 'kysely';
import { createBatchedLookup } from '../store/batched-lookup.js';
import { dialectOf } from '../store/dialect.js';
import { prepareQuery } from '../store/prepared.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num, type Store } from '../store/store.js';

export interface DeviceTokenRow {
  id: string;
  tenantId: string;
  deviceId: string;
  authSetId: string;
  expiresAt: number;
}

const TOKEN_COLUMNS = ['id', 'tenant_id', 'device_id', 'auth_set_id', 'expires_at'] as const;

type TokenRowRead = TableRow<'device_tokens', (typeof TOKEN_COLUMNS)[number]>;

const toTokenRow = (r: TokenRowRead): DeviceTokenRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  deviceId: r.device_id,
  authSetId: r.auth_set_id,
  expiresAt: num(r.expires_at),
});

/** Tokens kept per auth set; older ones are pruned when a new one is issued. */
export const TOKENS_KEPT_PER_AUTH_SET = 5;

export const insertDeviceToken = async (db: Executor, t: DeviceTokenRow, nowMs: number): Promise<void> => {
  await db
    .insertInto('device_tokens')
    .values({
      id: t.id,
      tenant_id: t.tenantId,
      device_id: t.deviceId,
      auth_set_id: t.authSetId,
      expires_at: t.expiresAt,
      created_at: nowMs,
    })
    .execute();
  // A device that restarts often re-authenticates often: keep only the newest few tokens.
  await db
    .deleteFrom('device_tokens')
    .where('auth_set_id', '=', t.authSetId)
    .where('id', 'not in', (eb) =>
      eb
        .selectFrom('device_tokens')
        .select('id')
        .where('auth_set_id', '=', t.authSetId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(TOKENS_KEPT_PER_AUTH_SET),
    )
    .execute();
};

/**
 * The one read behind every device request: a primary-key lookup, compiled once (it runs for
 * every poll of every device).
 * - SQLite: one prepared lookup per request (in-process, synchronous, microseconds).
 * - PostgreSQL: the lookups of the requests of one event-loop turn are sent together as one
 *   `where id = any($1)` query at the end of that turn (src/store/batched-lookup.ts): one round
 *   trip instead of one per request. A lookup is answered only by a query sent after it was
 *   asked for, so a token whose row a committed transaction deleted is refused on every process,
 *   as before (docs/adr/0004-token-revocation.md).
 */
export const prepareLiveTokenLookup = (store: Store) => {
  const db = store.db;
  let lookup: (id: string) => Promise<TokenRowRead | undefined>;
  if (dialectOf(db) === 'postgres') {
    const query = prepareQuery(
      store,
      (ids: readonly string[]) =>
        db
          .selectFrom('device_tokens')
          .select(TOKEN_COLUMNS)
          .where(sql<boolean>`id = any(${sql.val(ids)})`),
      1,
    );
    lookup = createBatchedLookup<TokenRowRead>({ fetch: (ids) => query(ids), keyOf: (r) => r.id });
  } else {
    const query = prepareQuery(
      store,
      (id: string) => db.selectFrom('device_tokens').select(TOKEN_COLUMNS).where('id', '=', id),
      1,
    );
    lookup = async (id) => (await query(id))[0];
  }
  return async (id: string, nowMs: number): Promise<DeviceTokenRow | undefined> => {
    const r = await lookup(id);
    if (!r || num(r.expires_at) <= nowMs) return undefined;
    return toTokenRow(r);
  };
};

export const deleteTokensOfAuthSets = async (db: Executor, authSetIds: string[]): Promise<void> => {
  if (authSetIds.length === 0) return;
  await db.deleteFrom('device_tokens').where('auth_set_id', 'in', authSetIds).execute();
};

export const deleteTokensOfDevice = async (db: Executor, deviceId: string): Promise<void> => {
  await db.deleteFrom('device_tokens').where('device_id', '=', deviceId).execute();
};

export const deleteDeviceToken = async (
  db: Executor,
  tenantId: string,
  id: string,
): Promise<DeviceTokenRow | undefined> => {
  const r = await db
    .selectFrom('device_tokens')
    .select(TOKEN_COLUMNS)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) return undefined;
  await db.deleteFrom('device_tokens').where('id', '=', id).execute();
  return toTokenRow(r);
};

import { sql } from 'kysely';
import { compositeKey, createBatchedLookup, keyColumns } from '../store/batched-lookup.js';
import { dialectOf } from '../store/dialect.js';
import { prepareQuery } from '../store/prepared.js';
import { type Db, num, type Store } from '../store/store.js';
import type { AuthSetStatus } from './devauth-types.js';

/**
 * The one read of an auth request from a known device: the auth set its identity and key name
 * and, in the same statement, the row of the token this process last handed that auth set (the
 * young token it may hand out again, docs/adr/0004-token-revocation.md). A device that
 * re-authenticates (every restart, every 401) so costs one statement, not two.
 * - SQLite: one prepared statement per request (in-process, microseconds).
 * - PostgreSQL: the reads of the auth requests of one event-loop turn go out as one statement
 *   (src/store/batched-lookup.ts), answered only by a statement sent after they were asked for:
 *   an auth set rejected or a token deleted by a committed transaction is seen, as with one
 *   statement per request.
 */
export interface KnownAuthSet {
  deviceId: string;
  authSetId: string;
  status: AuthSetStatus;
  /** The asked-for token's row, when it exists, belongs to this auth set and has not expired. */
  liveToken: boolean;
}

interface Row {
  device_id: string;
  auth_set_id: string;
  status: string;
  token_auth_set_id: string | null;
  token_expires_at: number | string | null;
}

/** No token asked for: a value no token id takes (ids are UUIDs). */
const NO_TOKEN = '';

const toKnown = (r: Row, nowMs: number): KnownAuthSet => ({
  deviceId: r.device_id,
  authSetId: r.auth_set_id,
  status: r.status as AuthSetStatus,
  liveToken:
    r.token_auth_set_id === r.auth_set_id && r.token_expires_at !== null && num(r.token_expires_at) > nowMs,
});

export type KnownAuthSetLookup = (
  tenantId: string,
  identitySha256: string,
  pubkeySha256: string,
  tokenId: string | undefined,
  nowMs: number,
) => Promise<KnownAuthSet | undefined>;

export const prepareKnownAuthSetLookup = (store: Store): KnownAuthSetLookup =>
  dialectOf(store.db) === 'postgres' ? batchedLookup(store) : sqliteLookup(store);

const sqliteLookup = (store: Store): KnownAuthSetLookup => {
  const db = store.db;
  const query = prepareQuery(
    store,
    (tenantId: string, identitySha256: string, pubkeySha256: string, tokenId: string) =>
      db
        .selectFrom('devices as d')
        .innerJoin('auth_sets as a', 'a.device_id', 'd.id')
        .leftJoin('device_tokens as t', (j) => j.on('t.id', '=', tokenId))
        .select([
          'd.id as device_id',
          'a.id as auth_set_id',
          'a.status',
          't.auth_set_id as token_auth_set_id',
          't.expires_at as token_expires_at',
        ])
        .where('d.tenant_id', '=', tenantId)
        .where('d.id_data_sha256', '=', identitySha256)
        .where('a.pubkey_sha256', '=', pubkeySha256),
    4,
  );
  return async (tenantId, identitySha256, pubkeySha256, tokenId, nowMs) => {
    const [r] = await query(tenantId, identitySha256, pubkeySha256, tokenId ?? NO_TOKEN);
    return r && toKnown(r as Row, nowMs);
  };
};

/**
 * One row per asked key: the keys are unnested in the order sent, so every answer row names the
 * key it answers. Unique indexes serve both joins (devices_identity_uq, auth_sets_device_key_uq).
 */
const batchSql = (
  db: Db,
  tenantIds: readonly string[],
  identityShas: readonly string[],
  pubkeyShas: readonly string[],
  tokenIds: readonly string[],
) => ({
  compile: () =>
    sql<BatchRow>`select k.tenant_id, k.identity_sha256, k.pubkey_sha256, k.token_id,
    d.id as device_id, a.id as auth_set_id, a.status,
    t.auth_set_id as token_auth_set_id, t.expires_at as token_expires_at
  from unnest(${sql.val(tenantIds)}::text[], ${sql.val(identityShas)}::text[], ${sql.val(pubkeyShas)}::text[], ${sql.val(tokenIds)}::text[])
    as k(tenant_id, identity_sha256, pubkey_sha256, token_id)
  join devices d on d.tenant_id = k.tenant_id and d.id_data_sha256 = k.identity_sha256
  join auth_sets a on a.device_id = d.id and a.pubkey_sha256 = k.pubkey_sha256
  left join device_tokens t on t.id = k.token_id`.compile(db),
});

type BatchRow = Row & { tenant_id: string; identity_sha256: string; pubkey_sha256: string; token_id: string };

const batchedLookup = (store: Store): KnownAuthSetLookup => {
  type Column = readonly string[];
  const query = prepareQuery(
    store,
    (t: Column, i: Column, p: Column, k: Column) => batchSql(store.db, t, i, p, k),
    4,
  );
  const lookup = createBatchedLookup<BatchRow>({
    fetch: (keys) => {
      const [t = [], i = [], p = [], k = []] = keyColumns(keys, 4);
      return query(t, i, p, k);
    },
    keyOf: (r) => compositeKey(r.tenant_id, r.identity_sha256, r.pubkey_sha256, r.token_id),
  });
  return async (tenantId, identitySha256, pubkeySha256, tokenId, nowMs) => {
    const r = await lookup(compositeKey(tenantId, identitySha256, pubkeySha256, tokenId ?? NO_TOKEN));
    return r && toKnown(r, nowMs);
  };
};

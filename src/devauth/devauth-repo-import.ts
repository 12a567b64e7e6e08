import { sql } from 'kysely';
import { dialectOf } from '../store/dialect.js';
import type { Dialect, Executor } from '../store/store.js';
import type { KnownState, PlannedCreate } from './devauth-import-plan.js';
import type { AuthSetStatus, DeviceStatus } from './devauth-types.js';

/** Below both dialects' bound-parameter limits for the widest insert (9 columns). */
const CHUNK = 500;

const chunks = <T>(xs: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
};

/**
 * Rows of `table` whose `column` is one of `keys`, for one tenant, each found through the
 * (tenant_id, column) unique index. On PostgreSQL the keys are probed one by one (a LATERAL
 * subquery per key, kept from being flattened into a join by its LIMIT): a plain `IN (...)` lets the planner scan the whole tenant instead when its
 * statistics are stale, which they are while an import fills a fresh table (autovacuum has not
 * analysed it yet), and the import then slows down with every batch.
 */
const byUniqueKeys = async <R>(
  db: Executor,
  dialect: Dialect,
  table: 'devices' | 'auth_sets',
  column: 'id_data_sha256' | 'pubkey_sha256',
  select: readonly string[],
  tenantId: string,
  keys: readonly string[],
): Promise<R[]> => {
  const cols = sql.join(select.map((c) => sql.ref(`t.${c}`)));
  if (dialect === 'postgres') {
    const r = await sql<R>`select ${cols} from unnest(cast(${keys} as text[])) as k(v)
      cross join lateral (select * from ${sql.table(table)} x where x.tenant_id = ${tenantId} and ${sql.ref(`x.${column}`)} = k.v limit 1) t`.execute(
      db,
    );
    return r.rows;
  }
  const r =
    await sql<R>`select ${cols} from ${sql.table(table)} t where t.tenant_id = ${tenantId} and ${sql.ref(`t.${column}`)} in (${sql.join(keys)})`.execute(
      db,
    );
  return r.rows;
};

/** The devices and auth sets a batch's identities and keys already have (index lookups by key). */
export const readKnownState = async (
  db: Executor,
  tenantId: string,
  identityShas: readonly string[],
  keyShas: readonly string[],
): Promise<KnownState> => {
  const dialect = dialectOf(db);
  const known: KnownState = { devices: new Map(), keys: new Map() };
  for (const part of chunks([...new Set(identityShas)])) {
    const rows = await byUniqueKeys<{ id: string; id_data_sha256: string; status: string }>(
      db,
      dialect,
      'devices',
      'id_data_sha256',
      ['id', 'id_data_sha256', 'status'],
      tenantId,
      part,
    );
    for (const r of rows) known.devices.set(r.id_data_sha256, { id: r.id, status: r.status as DeviceStatus });
  }
  for (const part of chunks([...new Set(keyShas)])) {
    const rows = await byUniqueKeys<{ device_id: string; pubkey_sha256: string; status: string }>(
      db,
      dialect,
      'auth_sets',
      'pubkey_sha256',
      ['device_id', 'pubkey_sha256', 'status'],
      tenantId,
      part,
    );
    for (const r of rows)
      known.keys.set(r.pubkey_sha256, { deviceId: r.device_id, status: r.status as AuthSetStatus });
  }
  return known;
};

export interface ImportOrigin {
  importId: string;
  factoryId: string | null;
}

/**
 * Inserts the planned devices and their preauthorized auth sets with multi-row statements. A
 * concurrent preauthorization of the same identity or key makes this fail with a unique
 * violation (devices_identity_uq, auth_sets_tenant_key_uq); the caller re-plans the batch.
 */
export const insertImportedDevices = async (
  tx: Executor,
  tenantId: string,
  creates: readonly PlannedCreate[],
  origin: ImportOrigin,
  nowMs: number,
): Promise<void> => {
  for (const part of chunks(creates)) {
    await tx
      .insertInto('devices')
      .values(
        part.map((c) => ({
          id: c.deviceId,
          tenant_id: tenantId,
          id_data: c.row.identity.text,
          id_data_sha256: c.row.identity.sha256,
          status: 'preauthorized',
          created_at: nowMs,
          updated_at: nowMs,
          check_in_at: null,
          import_id: origin.importId,
          import_line: c.row.line,
          factory_id: origin.factoryId,
        })),
      )
      .execute();
    await tx
      .insertInto('auth_sets')
      .values(
        part.map((c) => ({
          id: c.authSetId,
          tenant_id: tenantId,
          device_id: c.deviceId,
          pubkey: c.row.key.pem,
          pubkey_sha256: c.row.key.sha256,
          key_type: c.row.key.type,
          status: 'preauthorized',
          created_at: nowMs,
          updated_at: nowMs,
        })),
      )
      .execute();
  }
};

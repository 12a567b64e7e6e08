import type { Executor } from '../store/store.js';
import type { KnownState, PlannedCreate } from './devauth-import-plan.js';
import type { AuthSetStatus, DeviceStatus } from './devauth-types.js';

/** Below both dialects' bound-parameter limits for the widest insert (9 columns). */
const CHUNK = 500;

const chunks = <T>(xs: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
};

/** The devices and auth sets a batch's identities and keys already have (two index lookups). */
export const readKnownState = async (
  db: Executor,
  tenantId: string,
  identityShas: readonly string[],
  keyShas: readonly string[],
): Promise<KnownState> => {
  const known: KnownState = { devices: new Map(), keys: new Map() };
  for (const part of chunks([...new Set(identityShas)])) {
    const rows = await db
      .selectFrom('devices')
      .select(['id', 'id_data_sha256', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('id_data_sha256', 'in', part)
      .execute();
    for (const r of rows) known.devices.set(r.id_data_sha256, { id: r.id, status: r.status as DeviceStatus });
  }
  for (const part of chunks([...new Set(keyShas)])) {
    const rows = await db
      .selectFrom('auth_sets')
      .select(['device_id', 'pubkey_sha256', 'status'])
      .where('tenant_id', '=', tenantId)
      .where('pubkey_sha256', 'in', part)
      .execute();
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

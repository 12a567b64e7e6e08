import type { AuthSetStatus, DeviceStatus } from './devauth-types.js';
import type { CanonicalIdentity } from './identity.js';
import type { DeviceKeyType } from './pubkey.js';

/** One valid manifest row, parsed and checked (factory domain). */
export interface ImportRow {
  /** 1-based line of the manifest the row starts on. */
  line: number;
  identity: CanonicalIdentity;
  key: { pem: string; sha256: string; type: DeviceKeyType };
  group: string | null;
  tags: Record<string, string>;
}

export type ImportRowOutcome =
  | { line: number; outcome: 'created'; deviceId: string; authSetId: string }
  | { line: number; outcome: 'unchanged'; deviceId: string }
  | { line: number; outcome: 'conflict'; deviceId: string; reason: string };

/** What the database (and, in a dry run, the rows already planned) knows of a batch's identities and keys. */
export interface KnownState {
  /** Devices by identity SHA-256. */
  devices: Map<string, { id: string; status: DeviceStatus }>;
  /** Auth sets by key SHA-256 (a key is used by at most one auth set of a tenant). */
  keys: Map<string, { deviceId: string; status: AuthSetStatus }>;
}

export interface PlannedCreate {
  row: ImportRow;
  deviceId: string;
  authSetId: string;
}

/**
 * Decides each row of a batch in manifest order, as if the rows were preauthorized one at a
 * time without `force`: a new identity with an unused key is created; the same identity with the
 * same key, already preauthorized or accepted, is unchanged (so a re-import changes nothing);
 * anything else conflicts with the device that holds the identity or the key. Rows created
 * earlier in the batch are known to later ones (duplicates inside a manifest).
 */
export const planImportBatch = (
  rows: readonly ImportRow[],
  known: KnownState,
  newId: () => string,
): { outcomes: ImportRowOutcome[]; creates: PlannedCreate[] } => {
  const outcomes: ImportRowOutcome[] = [];
  const creates: PlannedCreate[] = [];
  for (const row of rows) {
    const device = known.devices.get(row.identity.sha256);
    const holder = known.keys.get(row.key.sha256);
    const { line } = row;
    if (device) {
      if (holder?.deviceId === device.id) {
        if (holder.status === 'preauthorized' || holder.status === 'accepted')
          outcomes.push({ line, outcome: 'unchanged', deviceId: device.id });
        else
          outcomes.push({
            line,
            outcome: 'conflict',
            deviceId: device.id,
            reason: `the device exists (${device.status}) and this key of it is ${holder.status}`,
          });
      } else if (holder) {
        outcomes.push({
          line,
          outcome: 'conflict',
          deviceId: device.id,
          reason: `the identity exists (device ${device.id}, ${device.status}) and the key is used by device ${holder.deviceId}`,
        });
      } else {
        outcomes.push({
          line,
          outcome: 'conflict',
          deviceId: device.id,
          reason: `the identity exists with a different key (device ${device.id}, ${device.status})`,
        });
      }
      continue;
    }
    if (holder) {
      outcomes.push({
        line,
        outcome: 'conflict',
        deviceId: holder.deviceId,
        reason: `the key is used by another device (${holder.deviceId})`,
      });
      continue;
    }
    const create = { row, deviceId: newId(), authSetId: newId() };
    creates.push(create);
    known.devices.set(row.identity.sha256, { id: create.deviceId, status: 'preauthorized' });
    known.keys.set(row.key.sha256, { deviceId: create.deviceId, status: 'preauthorized' });
    outcomes.push({ line, outcome: 'created', deviceId: create.deviceId, authSetId: create.authSetId });
  }
  return { outcomes, creates };
};

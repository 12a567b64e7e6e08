import { recordEvents } from '../events/index.js';
import type { Executor } from '../store/store.js';
import type { PlannedCreate } from './devauth-import-plan.js';
import { type ImportOrigin, insertImportedDevices } from './devauth-repo-import.js';
import { type ChangeTrail, trailPayload } from './devauth-types.js';

/**
 * Writes a planned import batch in the caller's transaction: the devices, their preauthorized
 * auth sets and one `device.preauthorized` event each (the same event a single preauthorization
 * records, with the import and manifest line), so webhooks and the audit log see imported
 * devices like any other.
 */
export const applyImportPlan = async (
  tx: Executor,
  args: {
    tenantId: string;
    creates: readonly PlannedCreate[];
    origin: ImportOrigin;
    trail?: ChangeTrail;
    nowMs: number;
  },
): Promise<void> => {
  const { tenantId, creates, origin, nowMs } = args;
  if (creates.length === 0) return;
  await insertImportedDevices(tx, tenantId, creates, origin, nowMs);
  await recordEvents(
    tx,
    creates.map((c) => ({
      tenantId,
      type: 'device.preauthorized' as const,
      deviceId: c.deviceId,
      payload: {
        auth_set_id: c.authSetId,
        identity_data: c.row.identity.attributes,
        key_type: c.row.key.type,
        import_id: origin.importId,
        import_line: c.row.line,
        ...(origin.factoryId ? { factory_id: origin.factoryId } : {}),
        ...trailPayload(args.trail),
      },
      nowMs,
    })),
  );
};

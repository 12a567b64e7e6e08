import type { Clock } from '../core/clock.js';
import { devicesWithEventSince } from '../events/index.js';
import type { Executor } from '../store/store.js';
import { listAuthSets } from './devauth-repo-authsets.js';
import type { AuthSet, Device, DeviceWithAuthSets, PendingReason } from './devauth-types.js';

/** How long a key collision marks the holder's pending auth set as `key_collision`. */
export const KEY_COLLISION_WINDOW_MS = 24 * 3600_000;

/**
 * Why a device with a pending auth set waits: someone presented its key under another identity
 * lately (`key_collision`, first), it has an admitted or refused key besides (`new_key`, a key
 * rotation), or it is an unknown identity asking for the first time (`new_device`).
 */
const pendingReasonOf = (sets: AuthSet[], collided: boolean): PendingReason | undefined => {
  if (!sets.some((a) => a.status === 'pending')) return undefined;
  if (collided) return 'key_collision';
  return sets.some((a) => a.status !== 'pending') ? 'new_key' : 'new_device';
};

/**
 * A page of devices with their auth sets and pending reasons: two queries whatever the page
 * size (auth sets; collision events of the pending devices).
 */
export const describeDevices = async (
  ex: Executor,
  clock: Clock,
  tenantId: string,
  devices: Device[],
): Promise<DeviceWithAuthSets[]> => {
  const sets = await listAuthSets(
    ex,
    devices.map((d) => d.id),
  );
  const byDevice = new Map<string, AuthSet[]>();
  for (const s of sets) {
    const list = byDevice.get(s.deviceId);
    if (list) list.push(s);
    else byDevice.set(s.deviceId, [s]);
  }
  const pending = devices
    .filter((d) => byDevice.get(d.id)?.some((a) => a.status === 'pending'))
    .map((d) => d.id);
  const collided =
    pending.length === 0
      ? new Set<string>()
      : await devicesWithEventSince(
          ex,
          tenantId,
          'device.key_collision',
          pending,
          clock.nowMs() - KEY_COLLISION_WINDOW_MS,
        );
  return devices.map((d) => {
    const authSets = byDevice.get(d.id) ?? [];
    const reason = pendingReasonOf(authSets, collided.has(d.id));
    return { ...d, authSets, ...(reason ? { pendingReason: reason } : {}) };
  });
};

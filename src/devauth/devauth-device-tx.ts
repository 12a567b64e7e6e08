import { isUuid } from '../core/ids.js';
import { isConcurrencyConflict, retryOnConflict } from '../store/conflicts.js';
import type { Executor, Store } from '../store/store.js';
import { devauthErrors } from './devauth-errors.js';
import { lockDevice } from './devauth-repo-devices.js';
import type { Device } from './devauth-types.js';

/**
 * The transaction of every management change of one device: `fn` runs with the device's row
 * locked; 404 when it is not the tenant's. Every change of a device starts with that lock, so
 * they serialise; a deadlock with other work is retried, and whatever still conflicts is a 409
 * (DEVAUTH_CONCURRENT_CHANGE), never a 500.
 */
export const createDeviceTransactions =
  (store: Store) =>
  <T>(tenantId: string, deviceId: string, fn: (tx: Executor, device: Device) => Promise<T>): Promise<T> => {
    if (!isUuid(deviceId)) return Promise.reject(devauthErrors.deviceNotFound());
    return retryOnConflict(() =>
      store.db.transaction().execute(async (tx) => {
        const device = await lockDevice(tx, tenantId, deviceId);
        if (!device) throw devauthErrors.deviceNotFound();
        return fn(tx, device);
      }),
    ).catch((e: unknown) => {
      if (isConcurrencyConflict(e)) throw devauthErrors.concurrentChange();
      throw e;
    });
  };

export type OnDevice = ReturnType<typeof createDeviceTransactions>;

import type { Clock } from '../core/clock.js';
import { isUuid } from '../core/ids.js';
import type { Page } from '../core/pagination.js';
import { offsetOf } from '../core/pagination.js';
import { recordEvent } from '../events/index.js';
import { isConcurrencyConflict, retryOnConflict } from '../store/conflicts.js';
import type { Executor, Store } from '../store/store.js';
import { readMaxDevices } from '../tenants/index.js';
import { devauthErrors } from './devauth-errors.js';
import { countAuthSets, deleteAuthSetRow, findAuthSet, listAuthSets } from './devauth-repo-authsets.js';
import { countDevices, findDevice, listDevices, lockDevice } from './devauth-repo-devices.js';
import { deleteDeviceToken, deleteTokensOfAuthSets } from './devauth-repo-tokens.js';
import { createPreauthorize, type PreauthorizeInput } from './devauth-service-preauth.js';
import { acceptAuthSet, leaveStatus, recomputeDeviceStatus, removeDevice } from './devauth-transitions.js';
import {
  type AuthSet,
  type AuthSetStatus,
  type DevauthContext,
  type Device,
  type DeviceHooks,
  type DeviceStatus,
  type DeviceWithAuthSets,
  noDeviceHooks,
} from './devauth-types.js';

export interface DevauthAdminService {
  listDevices(
    tenantId: string,
    q: { statuses?: DeviceStatus[]; ids?: string[]; page: Page },
  ): Promise<{ devices: DeviceWithAuthSets[]; hasNext: boolean }>;
  getDevice(tenantId: string, id: string): Promise<DeviceWithAuthSets>;
  countDevices(tenantId: string, status?: DeviceStatus): Promise<number>;
  preauthorize(tenantId: string, input: PreauthorizeInput): Promise<{ deviceId: string; authSetId: string }>;
  getAuthSetStatus(tenantId: string, deviceId: string, authSetId: string): Promise<AuthSetStatus>;
  setAuthSetStatus(tenantId: string, deviceId: string, authSetId: string, status: string): Promise<void>;
  deleteAuthSet(tenantId: string, deviceId: string, authSetId: string): Promise<void>;
  decommission(tenantId: string, deviceId: string): Promise<void>;
  revokeToken(tenantId: string, tokenId: string): Promise<void>;
  /** -1 = unlimited. */
  maxDevices(tenantId: string): Promise<number>;
}

const CHANGEABLE = ['accepted', 'rejected', 'pending'] as const;
type ChangeableStatus = (typeof CHANGEABLE)[number];

export const createDevauthAdminService = (deps: {
  store: Store;
  clock: Clock;
  hooks?: DeviceHooks;
}): DevauthAdminService => {
  const { store, clock } = deps;
  const ctx: DevauthContext = { store, hooks: deps.hooks ?? noDeviceHooks };
  const db = store.db;
  const preauthorize = createPreauthorize({ ctx, clock });

  const withAuthSets = async (ex: Executor, devices: Device[]): Promise<DeviceWithAuthSets[]> => {
    const sets = await listAuthSets(
      ex,
      devices.map((d) => d.id),
    );
    const byDevice = new Map<string, AuthSet[]>();
    for (const s of sets) byDevice.set(s.deviceId, [...(byDevice.get(s.deviceId) ?? []), s]);
    return devices.map((d) => ({ ...d, authSets: byDevice.get(d.id) ?? [] }));
  };

  /** Runs `fn` in a transaction with the device locked; 404 if it is not this tenant's. */
  const onDevice = <T>(
    tenantId: string,
    deviceId: string,
    fn: (tx: Executor, device: Device) => Promise<T>,
  ) => {
    if (!isUuid(deviceId)) throw devauthErrors.deviceNotFound();
    // Every change of a device starts with its row lock, so they serialise; a deadlock with
    // other work is retried, and whatever still conflicts is a 409, never a 500.
    return retryOnConflict(() =>
      db.transaction().execute(async (tx) => {
        const device = await lockDevice(store, tx, tenantId, deviceId);
        if (!device) throw devauthErrors.deviceNotFound();
        return fn(tx, device);
      }),
    ).catch((e: unknown) => {
      if (isConcurrencyConflict(e)) throw devauthErrors.concurrentChange();
      throw e;
    });
  };

  const authSetOf = async (tx: Executor, device: Device, authSetId: string): Promise<AuthSet> => {
    const a = isUuid(authSetId) ? await findAuthSet(tx, device.tenantId, device.id, authSetId) : undefined;
    if (!a) throw devauthErrors.authSetNotFound();
    return a;
  };

  return {
    async listDevices(tenantId, q) {
      const ids = q.ids?.filter(isUuid);
      // Ids that cannot exist match nothing (rather than widening the filter to everything).
      if (q.ids && q.ids.length > 0 && ids?.length === 0) return { devices: [], hasNext: false };
      const devices = await listDevices(db, tenantId, {
        statuses: q.statuses,
        ids,
        offset: offsetOf(q.page),
        limit: q.page.perPage + 1,
      });
      const hasNext = devices.length > q.page.perPage;
      return { devices: await withAuthSets(db, devices.slice(0, q.page.perPage)), hasNext };
    },

    async getDevice(tenantId, id) {
      const d = isUuid(id) ? await findDevice(db, tenantId, id) : undefined;
      if (!d) throw devauthErrors.deviceNotFound();
      return (await withAuthSets(db, [d]))[0] as DeviceWithAuthSets;
    },

    countDevices: (tenantId, status) => countDevices(db, tenantId, status),

    preauthorize,

    async getAuthSetStatus(tenantId, deviceId, authSetId) {
      const d = isUuid(deviceId) ? await findDevice(db, tenantId, deviceId) : undefined;
      if (!d) throw devauthErrors.deviceNotFound();
      const a = isUuid(authSetId) ? await findAuthSet(db, tenantId, deviceId, authSetId) : undefined;
      if (!a) throw devauthErrors.authSetNotFound();
      return a.status;
    },

    async setAuthSetStatus(tenantId, deviceId, authSetId, status) {
      if (!(CHANGEABLE as readonly string[]).includes(status)) throw devauthErrors.badStatus();
      const to = status as ChangeableStatus;
      await onDevice(tenantId, deviceId, async (tx, device) => {
        const authSet = await authSetOf(tx, device, authSetId);
        if (authSet.status === to) return;
        if (authSet.status === 'preauthorized') throw devauthErrors.badTransition(authSet.status, to);
        const nowMs = clock.nowMs();
        if (to === 'accepted') await acceptAuthSet(ctx, tx, { device, authSet, nowMs, via: 'manual' });
        else await leaveStatus(ctx, tx, { device, authSet, to, nowMs });
      });
    },

    async deleteAuthSet(tenantId, deviceId, authSetId) {
      await onDevice(tenantId, deviceId, async (tx, device) => {
        const authSet = await authSetOf(tx, device, authSetId);
        const nowMs = clock.nowMs();
        await deleteTokensOfAuthSets(tx, [authSet.id]);
        await deleteAuthSetRow(tx, authSet.id);
        await recordEvent(tx, {
          tenantId,
          type: 'device.authset_deleted',
          deviceId: device.id,
          payload: { auth_set_id: authSet.id, previous_status: authSet.status },
          nowMs,
        });
        // A preauthorization that is withdrawn before the device ever showed up leaves nothing behind.
        if (authSet.status === 'preauthorized' && (await countAuthSets(tx, device.id)) === 0) {
          await removeDevice(ctx, tx, device, nowMs);
          return;
        }
        await recomputeDeviceStatus(ctx, tx, device, nowMs);
      });
    },

    async decommission(tenantId, deviceId) {
      await onDevice(tenantId, deviceId, (tx, device) => removeDevice(ctx, tx, device, clock.nowMs()));
    },

    async maxDevices(tenantId) {
      return (await readMaxDevices(db, tenantId, false)) ?? -1;
    },

    async revokeToken(tenantId, tokenId) {
      if (!isUuid(tokenId)) throw devauthErrors.tokenNotFound();
      await db.transaction().execute(async (tx) => {
        const t = await deleteDeviceToken(tx, tenantId, tokenId);
        if (!t) throw devauthErrors.tokenNotFound();
        await recordEvent(tx, {
          tenantId,
          type: 'device.token_revoked',
          deviceId: t.deviceId,
          payload: { token_id: t.id, auth_set_id: t.authSetId },
          nowMs: clock.nowMs(),
        });
      });
    },
  };
};

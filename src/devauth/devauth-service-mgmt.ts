import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import type { Page } from '../core/pagination.js';
import { offsetOf } from '../core/pagination.js';
import { recordEvent } from '../events/index.js';
import type { Executor, Store } from '../store/store.js';
import { readMaxDevices } from '../tenants/index.js';
import { devauthErrors } from './devauth-errors.js';
import {
  countAuthSets,
  deleteAuthSetRow,
  deleteAuthSetsOfDevice,
  findAuthSet,
  findAuthSetByDeviceKey,
  findDevicesWithKey,
  insertAuthSetIfAbsent,
  listAuthSets,
  setAuthSetStatus,
} from './devauth-repo-authsets.js';
import {
  countDevices,
  deleteDeviceRow,
  findDevice,
  findDeviceByIdentity,
  insertDeviceIfAbsent,
  listDevices,
  lockDevice,
} from './devauth-repo-devices.js';
import { deleteDeviceToken, deleteTokensOfAuthSets, deleteTokensOfDevice } from './devauth-repo-tokens.js';
import { acceptAuthSet, leaveStatus, recomputeDeviceStatus } from './devauth-transitions.js';
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
import { type CanonicalIdentity, canonicalIdentity, IdentityError } from './identity.js';
import { type DevicePublicKey, PublicKeyError, parseDevicePublicKey } from './pubkey.js';

export interface DevauthAdminService {
  listDevices(
    tenantId: string,
    q: { statuses?: DeviceStatus[]; ids?: string[]; page: Page },
  ): Promise<{ devices: DeviceWithAuthSets[]; hasNext: boolean }>;
  getDevice(tenantId: string, id: string): Promise<DeviceWithAuthSets>;
  countDevices(tenantId: string, status?: DeviceStatus): Promise<number>;
  preauthorize(
    tenantId: string,
    input: { identityData: unknown; pubkey: string; force?: boolean },
  ): Promise<{ deviceId: string; authSetId: string }>;
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
    return db.transaction().execute(async (tx) => {
      const device = await lockDevice(store, tx, tenantId, deviceId);
      if (!device) throw devauthErrors.deviceNotFound();
      return fn(tx, device);
    });
  };

  const authSetOf = async (tx: Executor, device: Device, authSetId: string): Promise<AuthSet> => {
    const a = isUuid(authSetId) ? await findAuthSet(tx, device.tenantId, device.id, authSetId) : undefined;
    if (!a) throw devauthErrors.authSetNotFound();
    return a;
  };

  const parsePreauth = (
    identityData: unknown,
    pem: string,
  ): { identity: CanonicalIdentity; key: DevicePublicKey } => {
    try {
      return { identity: canonicalIdentity(identityData), key: parseDevicePublicKey(pem) };
    } catch (e) {
      if (e instanceof IdentityError || e instanceof PublicKeyError)
        throw devauthErrors.badAuthRequest(e.message);
      throw e;
    }
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

    async preauthorize(tenantId, input) {
      const { identity, key } = parsePreauth(input.identityData, input.pubkey);
      return db.transaction().execute(async (tx) => {
        const nowMs = clock.nowMs();
        const existing = await findDeviceByIdentity(tx, tenantId, identity.sha256);
        if (existing && !input.force) {
          const [full] = await withAuthSets(tx, [existing]);
          throw devauthErrors.identityExists(deviceToConflictBody(full as DeviceWithAuthSets));
        }
        const holders = await findDevicesWithKey(tx, tenantId, key.sha256, existing?.id);
        if (holders.length > 0) throw devauthErrors.keyInUse(holders[0] as string);

        let device = existing && (await lockDevice(store, tx, tenantId, existing.id));
        if (!device) {
          device = {
            id: newId(),
            tenantId,
            identity: identity.attributes,
            identityText: identity.text,
            identitySha256: identity.sha256,
            status: 'preauthorized',
            createdAt: nowMs,
            updatedAt: nowMs,
            checkInAt: null,
          };
          await insertDeviceIfAbsent(tx, device);
        }
        // force: a new key for a known identity (Mender's key-rotation path, MEN-6961).
        const current = await findAuthSetByDeviceKey(tx, device.id, key.sha256);
        let authSetId: string;
        if (current) {
          authSetId = current.id;
          if (current.status === 'pending' || current.status === 'rejected') {
            await setAuthSetStatus(tx, current.id, 'preauthorized', nowMs);
          }
        } else {
          authSetId = newId();
          await insertAuthSetIfAbsent(tx, {
            id: authSetId,
            tenantId,
            deviceId: device.id,
            pubkey: key.pem,
            pubkeySha256: key.sha256,
            keyType: key.type,
            status: 'preauthorized',
            createdAt: nowMs,
            updatedAt: nowMs,
          });
        }
        await recomputeDeviceStatus(ctx, tx, device, nowMs);
        await recordEvent(tx, {
          tenantId,
          type: 'device.preauthorized',
          deviceId: device.id,
          payload: { auth_set_id: authSetId, identity_data: identity.attributes, key_type: key.type },
          nowMs,
        });
        return { deviceId: device.id, authSetId };
      });
    },

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

/** Decommission: the device, its auth sets, tokens and inventory go in one transaction. */
const removeDevice = async (
  ctx: DevauthContext,
  tx: Executor,
  device: Device,
  nowMs: number,
): Promise<void> => {
  await ctx.hooks.deviceRemoved(tx, device, nowMs);
  await deleteTokensOfDevice(tx, device.id);
  await deleteAuthSetsOfDevice(tx, device.id);
  await deleteDeviceRow(tx, device.tenantId, device.id);
  await recordEvent(tx, {
    tenantId: device.tenantId,
    type: 'device.decommissioned',
    deviceId: device.id,
    payload: { identity_data: device.identity },
    nowMs,
  });
};

/** Mender answers a preauthorization conflict with the existing device as the body. */
const deviceToConflictBody = (d: DeviceWithAuthSets): Record<string, unknown> => ({
  id: d.id,
  identity_data: d.identity,
  status: d.status,
});

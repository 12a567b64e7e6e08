import { commonErrors, isAppError } from '../core/errors.js';
import { recordEvent } from '../events/index.js';
import type { Executor } from '../store/store.js';
import { readMaxDevicesToAccept } from '../tenants/index.js';
import { devauthErrors } from './devauth-errors.js';
import {
  authSetStatuses,
  countAuthSets,
  deleteAuthSetRow,
  deleteAuthSetsOfDevice,
  rejectOtherAccepted,
  setAuthSetStatus,
} from './devauth-repo-authsets.js';
import { countDevices, deleteDeviceRow, lockDevice, setDeviceStatus } from './devauth-repo-devices.js';
import { deleteTokensOfAuthSets, deleteTokensOfDevice } from './devauth-repo-tokens.js';
import {
  type AuthSet,
  type ChangeTrail,
  type DevauthContext,
  type Device,
  type DeviceStatus,
  deriveDeviceStatus,
  trailPayload,
} from './devauth-types.js';

/**
 * State changes of auth sets that both the device flow and the management API make. Each runs
 * inside the caller's transaction, after the caller locked the device (lockDevice).
 */

/** Re-derives and stores the device status, then tells the other domains; returns the status. */
export const recomputeDeviceStatus = async (
  ctx: DevauthContext,
  tx: Executor,
  device: Device,
  nowMs: number,
) => {
  const status = deriveDeviceStatus(await authSetStatuses(tx, device.id));
  if (status !== device.status) await setDeviceStatus(tx, device.id, status, nowMs);
  await ctx.hooks.deviceChanged(
    tx,
    { ...device, status, updatedAt: status !== device.status ? nowMs : device.updatedAt },
    nowMs,
  );
  return status;
};

/**
 * Accepts one auth set: enforces max_devices when the device is not accepted yet, rejects the
 * device's other accepted auth sets and kills their tokens (at most one accepted set per
 * device), records the event.
 */
export const acceptAuthSet = async (
  ctx: DevauthContext,
  tx: Executor,
  args: {
    device: Device;
    authSet: AuthSet;
    nowMs: number;
    via: 'manual' | 'preauthorized' | 'certificate';
    trail?: ChangeTrail;
  },
): Promise<DeviceStatus> => {
  const { device, authSet, nowMs } = args;
  if (device.status !== 'accepted') await enforceDeviceLimit(tx, device.tenantId);
  // The others first: auth_sets_accepted_uq (migration 0009) holds after every statement.
  const rejected = await rejectOtherAccepted(tx, device.id, authSet.id, nowMs);
  await setAuthSetStatus(tx, authSet.id, 'accepted', nowMs);
  await deleteTokensOfAuthSets(tx, rejected);
  const status = await recomputeDeviceStatus(ctx, tx, device, nowMs);
  await recordEvent(tx, {
    tenantId: device.tenantId,
    type: 'device.accepted',
    deviceId: device.id,
    payload: {
      auth_set_id: authSet.id,
      via: args.via,
      rejected_auth_set_ids: rejected,
      ...trailPayload(args.trail),
    },
    nowMs,
  });
  return status;
};

/** acceptAuthSet for the device flows: Mender hides the limit from the device, it shows as a plain 401. */
export const acceptWithLimit = async (
  ctx: DevauthContext,
  tx: Executor,
  args: Parameters<typeof acceptAuthSet>[2],
): Promise<DeviceStatus> => {
  try {
    return await acceptAuthSet(ctx, tx, args);
  } catch (e) {
    if (isAppError(e) && e.code === 'DEVAUTH_LIMIT_REACHED')
      throw devauthErrors.unauthorized('device limit reached');
    throw e;
  }
};

/** Moves an auth set out of `accepted` (or between pending/rejected); its tokens die with it. */
export const leaveStatus = async (
  ctx: DevauthContext,
  tx: Executor,
  args: { device: Device; authSet: AuthSet; to: 'pending' | 'rejected'; nowMs: number; trail?: ChangeTrail },
): Promise<DeviceStatus> => {
  const { device, authSet, to, nowMs } = args;
  await setAuthSetStatus(tx, authSet.id, to, nowMs);
  await deleteTokensOfAuthSets(tx, [authSet.id]);
  const status = await recomputeDeviceStatus(ctx, tx, device, nowMs);
  if (to === 'rejected') {
    await recordEvent(tx, {
      tenantId: device.tenantId,
      type: 'device.rejected',
      deviceId: device.id,
      payload: { auth_set_id: authSet.id, previous_status: authSet.status, ...trailPayload(args.trail) },
      nowMs,
    });
  }
  return status;
};

/**
 * Deletes one auth set (its tokens die with it) and records it. The caller then recomputes the
 * device's status, or removes the device when nothing of it is meant to remain.
 */
export const deleteAuthSet = async (
  tx: Executor,
  args: { device: Device; authSet: AuthSet; nowMs: number; trail?: ChangeTrail },
): Promise<void> => {
  const { device, authSet } = args;
  await deleteTokensOfAuthSets(tx, [authSet.id]);
  await deleteAuthSetRow(tx, authSet.id);
  await recordEvent(tx, {
    tenantId: device.tenantId,
    type: 'device.authset_deleted',
    deviceId: device.id,
    payload: { auth_set_id: authSet.id, previous_status: authSet.status, ...trailPayload(args.trail) },
    nowMs: args.nowMs,
  });
};

/** The tenant's device limit, checked under the tenant row's lock (tenants-repo readMaxDevicesToAccept). */
const enforceDeviceLimit = async (tx: Executor, tenantId: string): Promise<void> => {
  const limit = await readMaxDevicesToAccept(tx, tenantId);
  if (limit === undefined) throw commonErrors.notFound('tenant not found');
  if (limit < 0) return;
  const accepted = await countDevices(tx, tenantId, 'accepted');
  if (accepted + 1 > limit) throw devauthErrors.limitReached(limit);
};

/** Decommission: the device, its auth sets, tokens and inventory go in one transaction. */
export const removeDevice = async (
  ctx: DevauthContext,
  tx: Executor,
  device: Device,
  nowMs: number,
  trail?: ChangeTrail,
): Promise<void> => {
  await ctx.hooks.deviceRemoved(tx, device, nowMs);
  await deleteTokensOfDevice(tx, device.id);
  await deleteAuthSetsOfDevice(tx, device.id);
  await deleteDeviceRow(tx, device.tenantId, device.id);
  await recordEvent(tx, {
    tenantId: device.tenantId,
    type: 'device.decommissioned',
    deviceId: device.id,
    payload: { identity_data: device.identity, ...trailPayload(trail) },
    nowMs,
  });
};

/**
 * Certificate admission proves more than a plain auth request: a CA of the tenant vouches for
 * the key, and the request is signed with it. A pending auth set of another device that holds the
 * same key (the device asked once without its certificate, under the identity its client sends)
 * is the same key holder asking the weaker way, so it gives way: it is deleted like a dismissal
 * (its device too, when nothing else is left of it), with an event saying why. Accepted,
 * preauthorized and rejected holders are an operator's decision and are never overruled.
 * Returns false when the holder may not be superseded.
 */
export const supersedePendingHolder = async (
  ctx: DevauthContext,
  tx: Executor,
  holder: { deviceId: string; authSetId: string; status: string },
  args: { tenantId: string; byDeviceId: string; nowMs: number },
): Promise<boolean> => {
  if (holder.status !== 'pending') return false;
  const device = await lockDevice(tx, args.tenantId, holder.deviceId);
  if (!device) return true;
  await deleteTokensOfAuthSets(tx, [holder.authSetId]);
  await deleteAuthSetRow(tx, holder.authSetId);
  await recordEvent(tx, {
    tenantId: args.tenantId,
    type: 'device.authset_deleted',
    deviceId: device.id,
    payload: {
      auth_set_id: holder.authSetId,
      previous_status: 'pending',
      reason: 'superseded_by_certificate',
      admitted_device_id: args.byDeviceId,
    },
    nowMs: args.nowMs,
  });
  if ((await countAuthSets(tx, device.id)) === 0) await removeDevice(ctx, tx, device, args.nowMs);
  else await recomputeDeviceStatus(ctx, tx, device, args.nowMs);
  return true;
};

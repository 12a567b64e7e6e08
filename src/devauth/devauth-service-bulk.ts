import { performance } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import { commonErrors, isAppError } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { isConcurrencyConflict } from '../store/conflicts.js';
import { isDatabaseUnavailable } from '../store/db-errors.js';
import { writersSerialised } from '../store/dialect.js';
import type { Executor } from '../store/store.js';
import type { OnDevice } from './devauth-device-tx.js';
import { countAuthSets, listAuthSets } from './devauth-repo-authsets.js';
import {
  acceptAuthSet,
  deleteAuthSet,
  leaveStatus,
  recomputeDeviceStatus,
  removeDevice,
} from './devauth-transitions.js';
import type {
  Actor,
  AuthSet,
  ChangeTrail,
  DevauthContext,
  Device,
  DeviceFilter,
  DeviceLabels,
  DeviceStatus,
} from './devauth-types.js';

// Bulk actions of the management API (POST /devauth/devices/bulk). Each device is one
// transaction of its own, made by the same transitions (and under the same row lock) as the
// single-device routes; a device that fails is reported and the others go on.

export const bulkActions = ['accept', 'reject', 'dismiss', 'decommission'] as const;
export type BulkAction = (typeof bulkActions)[number];

/** Devices one request may name, or a filter may select. */
export const MAX_BULK_DEVICES = 10_000;

export const bulkFailureCodes = [
  'not_found',
  'no_pending_auth_set',
  'nothing_to_reject',
  'limit_reached',
  'too_many_tags',
  'conflict',
  'invalid',
  'unavailable',
  'not_attempted',
] as const;
export type BulkFailureCode = (typeof bulkFailureCodes)[number];

export interface BulkInput {
  action: BulkAction;
  deviceIds?: string[];
  filter?: DeviceFilter;
  /** Accept only: the inventory group each accepted device is put in. */
  group?: string;
  /** Accept only: tags merged into each accepted device's tags. */
  tags?: { name: string; value: string }[];
}

export interface BulkDeviceResult {
  deviceId: string;
  ok: boolean;
  /** The device's status afterwards (absent when it was removed or the action failed). */
  status?: DeviceStatus;
  /** The device is gone (decommissioned, or dismissed with nothing left). */
  removed?: boolean;
  code?: BulkFailureCode;
  error?: string;
}

export interface BulkResult {
  results: BulkDeviceResult[];
  succeeded: number;
  failed: number;
  /** The filter selected more than MAX_BULK_DEVICES devices; only the oldest were processed. */
  truncated: boolean;
}

/** A device the action does not apply to; thrown inside its transaction, which changes nothing. */
class Refusal extends Error {
  constructor(
    readonly code: BulkFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** The failure a device's error is reported as; undefined for errors that are bugs (rethrown). */
const failureOf = (e: unknown): { code: BulkFailureCode; error: string } | undefined => {
  if (e instanceof Refusal) return { code: e.code, error: e.message };
  if (isAppError(e)) {
    const code: BulkFailureCode | undefined = (
      {
        DEVAUTH_DEVICE_NOT_FOUND: 'not_found',
        DEVAUTH_CONCURRENT_CHANGE: 'conflict',
        DEVAUTH_LIMIT_REACHED: 'limit_reached',
        INVENTORY_TOO_MANY_TAGS: 'too_many_tags',
        SERVICE_UNAVAILABLE: 'unavailable',
      } as Record<string, BulkFailureCode>
    )[e.code];
    if (code) return { code, error: e.publicMessage };
    return e.status < 500 ? { code: 'invalid', error: e.publicMessage } : undefined;
  }
  if (isConcurrencyConflict(e))
    return { code: 'conflict', error: 'the device was changed by a concurrent request, retry' };
  if (isDatabaseUnavailable(e)) return { code: 'unavailable', error: 'the database did not answer' };
  return undefined;
};

const newestFirst = (a: AuthSet, b: AuthSet) =>
  b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export const createBulkActions = (deps: {
  ctx: DevauthContext;
  clock: Clock;
  onDevice: OnDevice;
  /** The ids of the devices a filter selects, oldest first, at most `limit`. */
  findIds(tenantId: string, filter: DeviceFilter, limit: number): Promise<string[]>;
  labels: DeviceLabels | undefined;
  timeBudgetMs: number;
}) => {
  const { ctx, clock, onDevice } = deps;
  /** PostgreSQL takes a few devices at a time; SQLite writes are serialised anyway. */
  const parallel = writersSerialised(ctx.store.db) ? 1 : 4;

  type Outcome = { status?: DeviceStatus; removed?: boolean };
  type Step = (tx: Executor, device: Device, sets: AuthSet[], nowMs: number) => Promise<Outcome>;

  const steps = (
    action: BulkAction,
    trail: ChangeTrail,
    labels: { group: string | null; tags: Record<string, string> } | undefined,
  ): Step => {
    switch (action) {
      case 'accept':
        // The newest pending key (or the preauthorized one); the device's accepted key, if any,
        // is rejected by the accept, as on the single-device route.
        return async (tx, device, sets, nowMs) => {
          const authSet =
            sets.filter((a) => a.status === 'pending').sort(newestFirst)[0] ??
            sets.find((a) => a.status === 'preauthorized');
          if (!authSet)
            throw new Refusal('no_pending_auth_set', 'the device has no pending or preauthorized auth set');
          const status = await acceptAuthSet(ctx, tx, { device, authSet, nowMs, via: 'manual', trail });
          if (labels && deps.labels)
            await deps.labels.apply(tx, {
              tenantId: device.tenantId,
              deviceId: device.id,
              group: labels.group,
              tags: labels.tags,
              nowMs,
            });
          return { status };
        };
      case 'reject':
        return async (tx, device, sets, nowMs) => {
          const targets = sets.filter((a) => a.status === 'pending' || a.status === 'accepted');
          if (targets.length === 0)
            throw new Refusal('nothing_to_reject', 'the device has no pending or accepted auth set');
          let current = device;
          for (const authSet of targets) {
            const status = await leaveStatus(ctx, tx, {
              device: current,
              authSet,
              to: 'rejected',
              nowMs,
              trail,
            });
            current = { ...current, status };
          }
          return { status: current.status };
        };
      case 'dismiss':
        return async (tx, device, sets, nowMs) => {
          const pending = sets.filter((a) => a.status === 'pending');
          if (pending.length === 0)
            throw new Refusal('no_pending_auth_set', 'the device has no pending auth set');
          for (const authSet of pending) await deleteAuthSet(tx, { device, authSet, nowMs, trail });
          if ((await countAuthSets(tx, device.id)) === 0) {
            await removeDevice(ctx, tx, device, nowMs, trail);
            return { removed: true };
          }
          return { status: await recomputeDeviceStatus(ctx, tx, device, nowMs) };
        };
      case 'decommission':
        return async (tx, device, _sets, nowMs) => {
          await removeDevice(ctx, tx, device, nowMs, trail);
          return { removed: true };
        };
    }
  };

  const check = (input: BulkInput): { group: string | null; tags: Record<string, string> } | undefined => {
    if (!(bulkActions as readonly string[]).includes(input.action))
      throw commonErrors.badRequest(`action must be one of ${bulkActions.join(', ')}`);
    if ((input.deviceIds === undefined) === (input.filter === undefined))
      throw commonErrors.badRequest('give exactly one of device_ids and filter');
    const ids = input.deviceIds;
    if (ids && (ids.length === 0 || ids.length > MAX_BULK_DEVICES))
      throw commonErrors.badRequest(`device_ids must list 1 to ${MAX_BULK_DEVICES} devices`);
    if (ids && new Set(ids).size !== ids.length) throw commonErrors.badRequest('device_ids must be unique');
    if (input.group === undefined && input.tags === undefined) return undefined;
    if (input.action !== 'accept') throw commonErrors.badRequest('group and tags go only with "accept"');
    if (!deps.labels) throw commonErrors.badRequest('labels are not available');
    const tags = input.tags ?? [];
    if (new Set(tags.map((t) => t.name)).size !== tags.length)
      throw commonErrors.badRequest('tag names must be unique');
    const labels = {
      group: input.group ?? null,
      tags: Object.fromEntries(tags.map((t) => [t.name, t.value])),
    };
    deps.labels.check(labels.group, labels.tags);
    return labels;
  };

  return async (tenantId: string, input: BulkInput, by?: Actor): Promise<BulkResult> => {
    const labels = check(input);
    let truncated = false;
    let ids: string[];
    if (input.deviceIds) ids = input.deviceIds;
    else {
      ids = await deps.findIds(tenantId, input.filter ?? {}, MAX_BULK_DEVICES + 1);
      truncated = ids.length > MAX_BULK_DEVICES;
      if (truncated) ids = ids.slice(0, MAX_BULK_DEVICES);
    }
    const step = steps(input.action, { ...(by ? { actor: by } : {}), bulk: true }, labels);
    const results: (BulkDeviceResult | undefined)[] = new Array(ids.length);
    const deadline = performance.now() + deps.timeBudgetMs;
    let stopped: string | undefined;
    let next = 0;

    const one = async (deviceId: string): Promise<BulkDeviceResult> => {
      // Ids that cannot name a device are answered without asking the database.
      if (!isUuid(deviceId)) return { deviceId, ok: false, code: 'not_found', error: 'device not found' };
      try {
        const outcome = await onDevice(tenantId, deviceId, async (tx, device) =>
          step(tx, device, await listAuthSets(tx, [device.id]), clock.nowMs()),
        );
        return { deviceId, ok: true, ...outcome };
      } catch (e) {
        const failure = failureOf(e);
        if (!failure) throw e;
        // The database does not answer: the rest is not tried (each would wait for it again).
        if (failure.code === 'unavailable') stopped ??= 'the database did not answer';
        return { deviceId, ok: false, ...failure };
      }
    };
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= ids.length) return;
        const deviceId = ids[i] as string;
        if (stopped === undefined && performance.now() > deadline)
          stopped = `the request's time budget (${Math.round(deps.timeBudgetMs / 1000)} s) ran out`;
        results[i] =
          stopped === undefined
            ? await one(deviceId)
            : {
                deviceId,
                ok: false,
                code: 'not_attempted',
                error: `not attempted: ${stopped}; send it again`,
              };
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, Math.max(1, ids.length)) }, worker));
    const done = results as BulkDeviceResult[];
    const succeeded = done.filter((r) => r.ok).length;
    return { results: done, succeeded, failed: done.length - succeeded, truncated };
  };
};

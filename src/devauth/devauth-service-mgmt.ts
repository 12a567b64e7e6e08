import type { Clock } from '../core/clock.js';
import { isUuid } from '../core/ids.js';
import type { Page } from '../core/pagination.js';
import { offsetOf } from '../core/pagination.js';
import { pageReadOrder } from '../core/search-policy.js';
import { recordEvent } from '../events/index.js';
import type { Executor, Store } from '../store/store.js';
import { readMaxDevices } from '../tenants/index.js';
import type { DeviceCursor } from './devauth-cursor.js';
import { createDeviceTransactions } from './devauth-device-tx.js';
import { devauthErrors } from './devauth-errors.js';
import { countAuthSets, findAuthSet } from './devauth-repo-authsets.js';
import { countDevices, findDevice } from './devauth-repo-devices.js';
import {
  countFoundDevices,
  findDeviceIds,
  findDevices,
  parseSearchText,
  type ReadOrder,
  type SearchInventory,
  type SearchMatch,
  SUBSTRING_SEARCH_MAX_DEVICES,
  selectsIdSets,
} from './devauth-repo-search.js';
import { deleteDeviceToken } from './devauth-repo-tokens.js';
import { type BulkInput, type BulkResult, createBulkActions } from './devauth-service-bulk.js';
import { createPreauthorize, type PreauthorizeInput } from './devauth-service-preauth.js';
import {
  acceptAuthSet,
  deleteAuthSet,
  leaveStatus,
  recomputeDeviceStatus,
  removeDevice,
} from './devauth-transitions.js';
import {
  type Actor,
  type AuthSet,
  type AuthSetStatus,
  type ChangeTrail,
  type DevauthContext,
  type Device,
  type DeviceFilter,
  type DeviceHooks,
  type DeviceInventorySql,
  type DeviceLabels,
  type DeviceStatus,
  type DeviceWithAuthSets,
  noDeviceHooks,
  trailPayload,
} from './devauth-types.js';
import { describeDevices } from './devauth-views.js';

export interface DevauthAdminService {
  /**
   * A page of the devices the filter selects (oldest first), with the number of all of them:
   * page `page.page`, or with `after` (keyset pagination; null = from the start) the
   * `page.perPage` devices after that one, and `next`, the cursor of the page after, if any.
   * `match` says how values matched `q`, when given.
   */
  listDevices(
    tenantId: string,
    q: DeviceFilter & { page: Page; after?: DeviceCursor | null },
  ): Promise<{
    devices: DeviceWithAuthSets[];
    hasNext: boolean;
    total: number;
    next?: DeviceCursor;
    match?: SearchMatch;
  }>;
  getDevice(tenantId: string, id: string): Promise<DeviceWithAuthSets>;
  countDevices(tenantId: string, filter?: DeviceStatus | DeviceFilter): Promise<number>;
  /** countDevices with a filter, and how values matched `q` when given. */
  countDevicesFound(tenantId: string, filter: DeviceFilter): Promise<{ count: number; match?: SearchMatch }>;
  preauthorize(
    tenantId: string,
    input: PreauthorizeInput,
    by?: Actor,
  ): Promise<{ deviceId: string; authSetId: string }>;
  getAuthSetStatus(tenantId: string, deviceId: string, authSetId: string): Promise<AuthSetStatus>;
  setAuthSetStatus(
    tenantId: string,
    deviceId: string,
    authSetId: string,
    status: string,
    by?: Actor,
  ): Promise<void>;
  deleteAuthSet(tenantId: string, deviceId: string, authSetId: string, by?: Actor): Promise<void>;
  decommission(tenantId: string, deviceId: string, by?: Actor): Promise<void>;
  revokeToken(tenantId: string, tokenId: string, by?: Actor): Promise<void>;
  /** One action on many devices, each in its own transaction (docs/console-api.md). */
  bulk(tenantId: string, input: BulkInput, by?: Actor): Promise<BulkResult>;
  /** -1 = unlimited. */
  maxDevices(tenantId: string): Promise<number>;
}

const CHANGEABLE = ['accepted', 'rejected', 'pending'] as const;
type ChangeableStatus = (typeof CHANGEABLE)[number];

const trailOf = (by: Actor | undefined): ChangeTrail | undefined => (by ? { actor: by } : undefined);

export const createDevauthAdminService = (deps: {
  store: Store;
  clock: Clock;
  hooks?: DeviceHooks;
  /** Inventory conditions of device searches (q, group, tag); without them those match nothing. */
  inventory?: DeviceInventorySql;
  /** Group and tags of a bulk accept; without them such a request is refused. */
  labels?: DeviceLabels;
  /** Longest a bulk request works before it answers with the devices it did not get to. */
  bulkTimeBudgetMs?: number;
}): DevauthAdminService => {
  const { store, clock } = deps;
  const ctx: DevauthContext = { store, hooks: deps.hooks ?? noDeviceHooks };
  const db = store.db;
  const preauthorize = createPreauthorize({ ctx, clock });
  const onDevice = createDeviceTransactions(store);

  const authSetOf = async (tx: Executor, device: Device, id: string): Promise<AuthSet> => {
    const a = isUuid(id) ? await findAuthSet(tx, device.tenantId, device.id, id) : undefined;
    if (!a) throw devauthErrors.authSetNotFound();
    return a;
  };

  /** Ids that cannot exist match nothing (rather than widening the filter to everything). */
  const usable = (f: DeviceFilter): DeviceFilter | undefined => {
    if (!f.ids || f.ids.length === 0) return f;
    const ids = f.ids.filter(isUuid);
    return ids.length === 0 ? undefined : { ...f, ids };
  };

  const searchMatch = async (tenantId: string): Promise<SearchMatch> =>
    (await countDevices(db, tenantId)) <= SUBSTRING_SEARCH_MAX_DEVICES ? 'substring' : 'prefix';

  /** The inventory part of a search; the tenant's size is read only when `q` needs it. */
  const searchInventory = async (tenantId: string, f: DeviceFilter): Promise<SearchInventory> => ({
    sql: deps.inventory,
    match:
      deps.inventory && parseSearchText(f.q ?? '') !== undefined ? await searchMatch(tenantId) : 'prefix',
  });

  /** How a page is read (core/search-policy.ts), from the matches the filter counted. */
  const readOrder = async (
    tenantId: string,
    f: DeviceFilter,
    matches: number,
    position: number,
  ): Promise<ReadOrder> =>
    selectsIdSets(f)
      ? pageReadOrder(matches, await countDevices(db, tenantId, f.statuses), position)
      : 'index';

  const bulk = createBulkActions({
    ctx,
    clock,
    onDevice,
    async findIds(tenantId, filter, limit) {
      const inventory = await searchInventory(tenantId, filter);
      const matches = selectsIdSets(filter) ? await countFoundDevices(db, tenantId, filter, inventory) : 0;
      if (selectsIdSets(filter) && matches === 0) return [];
      const order = await readOrder(tenantId, filter, matches, limit);
      return findDeviceIds(db, tenantId, filter, inventory, limit, order);
    },
    labels: deps.labels,
    timeBudgetMs: deps.bulkTimeBudgetMs ?? 60_000,
  });

  return {
    async listDevices(tenantId, q) {
      const { page, after, ...filter } = q;
      const f = usable(filter);
      if (!f) return { devices: [], hasNext: false, total: 0 };
      const inventory = await searchInventory(tenantId, f);
      const match = parseSearchText(f.q ?? '') !== undefined ? { match: inventory.match } : {};
      // The count first: it decides how the page is read (readOrder), and an empty or
      // overshot list needs no page.
      const total = await countFoundDevices(db, tenantId, f, inventory);
      const byCursor = after !== undefined;
      // By cursor, one more than a page tells whether another page follows.
      const limit = byCursor ? page.perPage + 1 : page.perPage;
      const offset = byCursor ? 0 : offsetOf(page);
      const found =
        total === 0 || offset >= total
          ? []
          : await findDevices(db, tenantId, f, inventory, {
              offset,
              limit,
              ...(byCursor ? { after } : { total }),
              order: await readOrder(tenantId, f, total, Math.min(offset, total - offset) + limit),
            });
      const devices = found.slice(0, page.perPage);
      const last = devices[devices.length - 1];
      const hasNext = byCursor ? found.length > page.perPage : offset + devices.length < total;
      return {
        devices: await describeDevices(db, clock, tenantId, devices),
        hasNext,
        total,
        ...(byCursor && hasNext && last ? { next: { createdAt: last.createdAt, id: last.id } } : {}),
        ...match,
      };
    },

    async getDevice(tenantId, id) {
      const d = isUuid(id) ? await findDevice(db, tenantId, id) : undefined;
      if (!d) throw devauthErrors.deviceNotFound();
      return (await describeDevices(db, clock, tenantId, [d]))[0] as DeviceWithAuthSets;
    },

    async countDevices(tenantId, filter) {
      if (filter === undefined || typeof filter === 'string') return countDevices(db, tenantId, filter);
      const f = usable(filter);
      return f ? countFoundDevices(db, tenantId, f, await searchInventory(tenantId, f)) : 0;
    },

    async countDevicesFound(tenantId, filter) {
      const f = usable(filter);
      const inventory = await searchInventory(tenantId, filter);
      const count = f ? await countFoundDevices(db, tenantId, f, inventory) : 0;
      return { count, ...(parseSearchText(filter.q ?? '') !== undefined ? { match: inventory.match } : {}) };
    },

    preauthorize: (tenantId, input, by) => preauthorize(tenantId, input, trailOf(by)),

    async getAuthSetStatus(tenantId, deviceId, authSetId) {
      const d = isUuid(deviceId) ? await findDevice(db, tenantId, deviceId) : undefined;
      if (!d) throw devauthErrors.deviceNotFound();
      const a = isUuid(authSetId) ? await findAuthSet(db, tenantId, deviceId, authSetId) : undefined;
      if (!a) throw devauthErrors.authSetNotFound();
      return a.status;
    },

    async setAuthSetStatus(tenantId, deviceId, authSetId, status, by) {
      if (!(CHANGEABLE as readonly string[]).includes(status)) throw devauthErrors.badStatus();
      const to = status as ChangeableStatus;
      const trail = trailOf(by);
      await onDevice(tenantId, deviceId, async (tx, device) => {
        const authSet = await authSetOf(tx, device, authSetId);
        if (authSet.status === to) return;
        if (authSet.status === 'preauthorized') throw devauthErrors.badTransition(authSet.status, to);
        const nowMs = clock.nowMs();
        if (to === 'accepted') await acceptAuthSet(ctx, tx, { device, authSet, nowMs, via: 'manual', trail });
        else await leaveStatus(ctx, tx, { device, authSet, to, nowMs, trail });
      });
    },

    async deleteAuthSet(tenantId, deviceId, authSetId, by) {
      const trail = trailOf(by);
      await onDevice(tenantId, deviceId, async (tx, device) => {
        const authSet = await authSetOf(tx, device, authSetId);
        const nowMs = clock.nowMs();
        await deleteAuthSet(tx, { device, authSet, nowMs, trail });
        // A preauthorization that is withdrawn before the device ever showed up leaves nothing behind.
        if (authSet.status === 'preauthorized' && (await countAuthSets(tx, device.id)) === 0) {
          await removeDevice(ctx, tx, device, nowMs, trail);
          return;
        }
        await recomputeDeviceStatus(ctx, tx, device, nowMs);
      });
    },

    async decommission(tenantId, deviceId, by) {
      await onDevice(tenantId, deviceId, (tx, device) =>
        removeDevice(ctx, tx, device, clock.nowMs(), trailOf(by)),
      );
    },

    bulk: (tenantId, input, by) => bulk(tenantId, input, by),

    async maxDevices(tenantId) {
      return (await readMaxDevices(db, tenantId, 'none')) ?? -1;
    },

    async revokeToken(tenantId, tokenId, by) {
      if (!isUuid(tokenId)) throw devauthErrors.tokenNotFound();
      await db.transaction().execute(async (tx) => {
        const t = await deleteDeviceToken(tx, tenantId, tokenId);
        if (!t) throw devauthErrors.tokenNotFound();
        await recordEvent(tx, {
          tenantId,
          type: 'device.token_revoked',
          deviceId: t.deviceId,
          payload: { token_id: t.id, auth_set_id: t.authSetId, ...trailPayload(trailOf(by)) },
          nowMs: clock.nowMs(),
        });
      });
    },
  };
};

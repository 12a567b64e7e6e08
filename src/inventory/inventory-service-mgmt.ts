import type { Clock } from '../core/clock.js';
import { ifMatchNames } from '../core/etag.js';
import { isUuid } from '../core/ids.js';
import { offsetOf, type Page } from '../core/pagination.js';
import { pageReadOrder, SUBSTRING_SEARCH_MAX_DEVICES } from '../core/search-policy.js';
import { type Executor, isForeignKeyViolation, type Store } from '../store/store.js';
import { inventoryErrors, MAX_REGEX_CANDIDATES, MAX_TAGS } from './inventory-errors.js';
import {
  type AttrRef,
  type Condition,
  checkGroupName,
  type SortKey,
  virtualOf,
} from './inventory-filters.js';
import type { RegexMatcher } from './inventory-regex.js';
import {
  type AttributeValue,
  lockDeviceInventory,
  replaceScope,
  type Scope,
  upsertAttributes,
} from './inventory-repo.js';
import {
  clearInventoryScope,
  deviceExists,
  deviceGroup,
  groupDeviceIds,
  listGroups,
  scopeAttributes,
  setDevicesGroup,
  shareLockDevices,
  unsetDevicesGroup,
} from './inventory-repo-mgmt.js';
import {
  attributeCatalogue,
  attributesOfDevices,
  countAllDevices,
  countDevices,
  type DeviceQuery,
  type DeviceRow,
  drivenByIdSets,
  pageDevices,
  regexCandidates,
} from './inventory-repo-query.js';
import { parseDeviceAttributes } from './inventory-service.js';
import { tagsEtag } from './inventory-tags.js';

const MAX_CATALOGUE = 500;

export interface ViewAttribute {
  scope: Scope;
  name: string;
  value: AttributeValue;
  description: string | null;
}
export interface DeviceView {
  id: string;
  attributes: ViewAttribute[];
  updatedAt: number;
}
export interface SearchRequest {
  conditions: Condition[];
  sort: SortKey[];
  page: Page;
  deviceIds?: string[];
  keywords?: string[];
  /** Only these attributes in the answer (v2 `attributes`). */
  projection?: AttrRef[];
}

const systemTime = (name: string, ms: number): ViewAttribute => ({
  scope: 'system',
  name,
  value: new Date(ms).toISOString(),
  description: null,
});

const byScopeAndName = (a: ViewAttribute, b: ViewAttribute) =>
  a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export const createInventoryAdminService = (deps: { store: Store; clock: Clock; regex: RegexMatcher }) => {
  const { store, clock } = deps;
  const db = store.db;

  const views = async (
    tenantId: string,
    rows: DeviceRow[],
    projection?: AttrRef[],
  ): Promise<DeviceView[]> => {
    const stored = await attributesOfDevices(
      db,
      tenantId,
      rows.map((r) => r.id),
    );
    const wanted = projection && new Set(projection.map((p) => `${p.scope}/${p.name}`));
    return rows.map((r) => {
      const entry = stored.get(r.id);
      const updatedAt = Math.max(r.updatedAt, entry?.updatedAt ?? 0);
      const attrs: ViewAttribute[] = [
        ...(entry?.attributes ?? []),
        systemTime('created_ts', r.createdAt),
        systemTime('updated_ts', updatedAt),
        ...(r.checkInAt !== null ? [systemTime('check_in_time', r.checkInAt)] : []),
      ];
      return {
        id: r.id,
        attributes: attrs.filter((a) => !wanted || wanted.has(`${a.scope}/${a.name}`)).sort(byScopeAndName),
        updatedAt,
      };
    });
  };

  /** Regex filters become id sets: candidates from SQL (narrowed by the other filters), matched in the worker. */
  const resolveRegex = async (q: DeviceQuery, c: Condition & { kind: 'regex' }): Promise<string[]> => {
    const cands = await regexCandidates(db, q, c.attr, virtualOf(c.attr) === 'id', MAX_REGEX_CANDIDATES);
    if (!cands) throw inventoryErrors.tooManyCandidates();
    const hits = await deps.regex.matchIndexes(c.pattern, cands.values);
    return [...new Set(hits.map((i) => cands.deviceIds[i] as string))];
  };

  /** Runs `fn` in a transaction on one of the tenant's devices, its inventory locked; 404 otherwise. */
  const onDevice = async <T>(
    tenantId: string,
    deviceId: string,
    fn: (tx: Executor) => Promise<T>,
  ): Promise<T> => {
    if (!isUuid(deviceId)) throw inventoryErrors.deviceNotFound();
    try {
      return await db.transaction().execute(async (tx) => {
        // The device first, then its inventory: the order of devauth's transitions, which lock a
        // device and then write its identity scope.
        const [found] = await shareLockDevices(tx, tenantId, [deviceId]);
        if (found === undefined) throw inventoryErrors.deviceNotFound();
        await lockDeviceInventory(tx, deviceId);
        return fn(tx);
      });
    } catch (e) {
      // Decommissioned meanwhile.
      if (isForeignKeyViolation(e)) throw inventoryErrors.deviceNotFound();
      throw e;
    }
  };

  return {
    async search(tenantId: string, req: SearchRequest): Promise<{ devices: DeviceView[]; total: number }> {
      const q: DeviceQuery = {
        tenantId,
        conditions: req.conditions.filter((c) => c.kind !== 'regex'),
        // As in Mender, an empty device_ids list does not restrict the search.
        idSets: req.deviceIds && req.deviceIds.length > 0 ? [req.deviceIds] : [],
        keywords: req.keywords ?? [],
      };
      if (q.keywords.length > 0)
        q.textMatch =
          (await countAllDevices(db, tenantId)) <= SUBSTRING_SEARCH_MAX_DEVICES ? 'substring' : 'prefix';
      for (const c of req.conditions) {
        if (c.kind !== 'regex') continue;
        const ids = await resolveRegex(q, c);
        if (ids.length === 0) return { devices: [], total: 0 };
        q.idSets.push(ids);
      }
      const total = await countDevices(db, q);
      if (total <= offsetOf(req.page)) return { devices: [], total };
      const position = offsetOf(req.page) + req.page.perPage;
      // Only the creation order has an index to walk; other sorts read every match.
      if (drivenByIdSets(q) && req.sort.length === 0)
        q.readOrder = pageReadOrder(total, await countAllDevices(db, tenantId), position);
      const rows = await pageDevices(db, q, req.sort, offsetOf(req.page), req.page.perPage);
      return { devices: await views(tenantId, rows, req.projection), total };
    },

    async getDevice(tenantId: string, deviceId: string): Promise<{ device: DeviceView; etag?: string }> {
      if (!isUuid(deviceId)) throw inventoryErrors.deviceNotFound();
      const q: DeviceQuery = { tenantId, conditions: [], idSets: [[deviceId]], keywords: [] };
      const [row] = await pageDevices(db, q, [], 0, 1);
      if (!row) throw inventoryErrors.deviceNotFound();
      const [device] = (await views(tenantId, [row])) as [DeviceView];
      return { device, etag: tagsEtag(device.attributes.filter((a) => a.scope === 'tags')) };
    },

    resetInventory: (tenantId: string, deviceId: string): Promise<void> =>
      onDevice(tenantId, deviceId, (tx) => clearInventoryScope(tx, deviceId)),

    /** PUT (replace) or PATCH (merge) the tags; returns the new ETag. */
    async setTags(
      tenantId: string,
      deviceId: string,
      body: unknown,
      mode: 'replace' | 'merge',
      ifMatch?: string,
    ): Promise<string | undefined> {
      const tags = parseDeviceAttributes(body);
      if (tags.length > MAX_TAGS) throw inventoryErrors.tooManyTags();
      return onDevice(tenantId, deviceId, async (tx) => {
        const current = await scopeAttributes(tx, tenantId, deviceId, 'tags');
        if (ifMatch !== undefined && !ifMatchNames(ifMatch, tagsEtag(current)?.slice(1, -1)))
          throw inventoryErrors.etagMismatch();
        const next =
          mode === 'replace' ? tags : [...new Map([...current, ...tags].map((t) => [t.name, t])).values()];
        if (next.length > MAX_TAGS) throw inventoryErrors.tooManyTags();
        if (mode === 'replace') await replaceScope(tx, tenantId, deviceId, 'tags', tags, clock.nowMs());
        else await upsertAttributes(tx, tenantId, deviceId, 'tags', tags, clock.nowMs());
        return tagsEtag(next);
      });
    },

    async getGroup(tenantId: string, deviceId: string): Promise<string | null> {
      if (!isUuid(deviceId) || !(await deviceExists(db, tenantId, deviceId)))
        throw inventoryErrors.deviceNotFound();
      return (await deviceGroup(db, tenantId, deviceId)) ?? null;
    },

    async setGroup(tenantId: string, deviceId: string, group: string): Promise<void> {
      checkGroupName(group);
      await onDevice(tenantId, deviceId, (tx) =>
        setDevicesGroup(tx, tenantId, [deviceId], group, clock.nowMs()),
      );
    },

    /** 404 unless the device is the tenant's and in that group (as Mender). */
    async unsetGroup(tenantId: string, deviceId: string, group: string): Promise<void> {
      if (!isUuid(deviceId)) throw inventoryErrors.deviceNotFound();
      const n = await db
        .transaction()
        .execute(async (tx) => unsetDevicesGroup(tx, tenantId, group, [deviceId]));
      if (n === 0) throw inventoryErrors.deviceNotFound();
    },

    listGroups: (tenantId: string, status?: string): Promise<string[]> => listGroups(db, tenantId, status),

    async deleteGroup(tenantId: string, group: string): Promise<number> {
      checkGroupName(group);
      return db.transaction().execute((tx) => unsetDevicesGroup(tx, tenantId, group));
    },

    async groupDevices(
      tenantId: string,
      group: string,
      page: Page,
    ): Promise<{ ids: string[]; total: number }> {
      const r = await groupDeviceIds(db, tenantId, group, offsetOf(page), page.perPage);
      if (r.total === 0) throw inventoryErrors.groupNotFound();
      return r;
    },

    async addToGroup(
      tenantId: string,
      group: string,
      ids: string[],
    ): Promise<{ matched: number; updated: number }> {
      checkGroupName(group);
      try {
        return await db.transaction().execute(async (tx) => {
          const existing = await shareLockDevices(tx, tenantId, ids.filter(isUuid));
          const updated = await setDevicesGroup(tx, tenantId, existing, group, clock.nowMs());
          return { matched: existing.length, updated };
        });
      } catch (e) {
        if (isForeignKeyViolation(e)) throw inventoryErrors.concurrentChange();
        throw e;
      }
    },

    async removeFromGroup(tenantId: string, group: string, ids: string[]): Promise<number> {
      checkGroupName(group);
      return db.transaction().execute((tx) => unsetDevicesGroup(tx, tenantId, group, ids.filter(isUuid)));
    },

    filterAttributes: (tenantId: string) => attributeCatalogue(db, tenantId, MAX_CATALOGUE),

    close: () => deps.regex.close(),
  };
};

export type InventoryAdminService = ReturnType<typeof createInventoryAdminService>;

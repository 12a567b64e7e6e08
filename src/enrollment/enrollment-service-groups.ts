import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import { type EventType, recordEvent } from '../events/index.js';
import { lockKey, retryOnConflict } from '../store/conflicts.js';
import { type Executor, isForeignKeyViolation, isUniqueViolation, type Store } from '../store/store.js';
import { enrollmentErrors } from './enrollment-errors.js';
import {
  checkAttribute,
  checkInventoryGroup,
  checkName,
  checkSource,
  checkTags,
  hasNul,
  MAX_GROUPS_PER_TENANT,
} from './enrollment-input.js';
import type { AllocationWebhooks, CaDirectory, EnrollmentBootstrap } from './enrollment-ports.js';
import {
  countGroups,
  deleteGroup,
  findGroup,
  groupClash,
  insertGroup,
  listGroups,
  updateGroup,
} from './enrollment-repo-groups.js';
import {
  type BootstrapTemplate,
  DEFAULT_IDENTITY_ATTRIBUTE,
  DEFAULT_IDENTITY_SOURCE,
  type EnrollmentGroup,
} from './enrollment-types.js';

export interface GroupInput {
  name: string;
  caId: string;
  enabled?: boolean;
  identity?: { attribute?: string; source?: string };
  inventoryGroup?: string | null;
  tags?: Record<string, string>;
  bootstrap?: Partial<BootstrapTemplate> | null;
  allocationWebhookId?: string | null;
}

export type GroupPatch = Partial<GroupInput>;

export interface EnrollmentGroupsService {
  create(tenantId: string, input: GroupInput): Promise<EnrollmentGroup>;
  list(
    tenantId: string,
    q: { offset: number; limit: number; caId?: string },
  ): Promise<{ groups: EnrollmentGroup[]; total: number }>;
  get(tenantId: string, id: string): Promise<EnrollmentGroup>;
  update(tenantId: string, id: string, patch: GroupPatch): Promise<EnrollmentGroup>;
  remove(tenantId: string, id: string): Promise<void>;
}

export const createEnrollmentGroupsService = (deps: {
  store: Store;
  clock: Clock;
  cas: CaDirectory;
  allocationWebhooks: Pick<AllocationWebhooks, 'exists'>;
  bootstrap: Pick<EnrollmentBootstrap, 'checkTemplate'>;
}): EnrollmentGroupsService => {
  const { clock } = deps;
  const db = deps.store.db;
  // Requests racing past a write's checks: the unique index lets one in, the others run again
  // and their checks see it (docs/adr/0013-database-invariants.md).
  const inTransaction = <T>(fn: (tx: Executor) => Promise<T>) =>
    retryOnConflict(() => db.transaction().execute(fn));

  const mustFind = async (ex: Executor, tenantId: string, id: string): Promise<EnrollmentGroup> => {
    const g = isUuid(id) ? await findGroup(ex, tenantId, id) : undefined;
    if (!g) throw enrollmentErrors.groupNotFound();
    return g;
  };

  /** Checks every field of a complete draft group (its source is still unchecked input), and its references. */
  const checked = async (
    g: Omit<EnrollmentGroup, 'identitySource'> & { identitySource: string },
  ): Promise<EnrollmentGroup> => {
    const out: EnrollmentGroup = {
      ...g,
      name: checkName(g.name),
      identityAttribute: checkAttribute(g.identityAttribute),
      identitySource: checkSource(g.identitySource),
      inventoryGroup: checkInventoryGroup(g.inventoryGroup),
      tags: checkTags(g.tags),
    };
    if (!isUuid(out.caId) || !(await deps.cas.exists(g.tenantId, out.caId)))
      throw enrollmentErrors.caNotFound();
    if (
      out.allocationWebhookId !== null &&
      (!isUuid(out.allocationWebhookId) ||
        !(await deps.allocationWebhooks.exists(g.tenantId, out.allocationWebhookId)))
    )
      throw enrollmentErrors.webhookNotFound();
    if (out.bootstrap !== null) {
      if (hasNul(out.bootstrap.content) || out.bootstrap.channels.some(hasNul))
        throw enrollmentErrors.badRequest('bootstrap content and channel ids must not contain NUL');
      out.bootstrap = await deps.bootstrap.checkTemplate(g.tenantId, out.bootstrap);
    }
    return out;
  };

  const template = (b: Partial<BootstrapTemplate> | null | undefined): BootstrapTemplate | null =>
    b === null || b === undefined
      ? null
      : {
          content: b.content ?? '',
          contentTemplate: b.contentTemplate ?? 'none',
          channels: [...new Set(b.channels ?? [])],
          active: b.active ?? true,
          held: b.held ?? null,
        };

  const write = async (
    tenantId: string,
    g: EnrollmentGroup,
    type: EventType,
    fn: (tx: Executor) => Promise<void>,
  ): Promise<void> => {
    try {
      await inTransaction(async (tx) => {
        // Serialises the count cap (MAX_GROUPS_PER_TENANT) with the tenant's other group writes.
        await lockKey(tx, `enrollment-groups:${tenantId}`);
        const clash = await groupClash(tx, g);
        if (clash === 'name') throw enrollmentErrors.conflict('an enrollment group with this name exists');
        if (clash === 'ca') throw enrollmentErrors.conflict('this CA already has an enrollment group');
        await fn(tx);
        await recordEvent(tx, {
          tenantId,
          type,
          payload: { enrollment_group_id: g.id, name: g.name, ca_id: g.caId, enabled: g.enabled },
          nowMs: g.updatedAt,
        });
      });
    } catch (e) {
      // The CA or webhook was deleted between the check and the write.
      if (isForeignKeyViolation(e)) throw enrollmentErrors.badRequest('a referenced CA or webhook is gone');
      if (isUniqueViolation(e))
        throw enrollmentErrors.conflict('an enrollment group with this name or CA exists');
      throw e;
    }
  };

  return {
    async create(tenantId, input) {
      const nowMs = clock.nowMs();
      const g = await checked({
        id: newId(),
        tenantId,
        name: input.name,
        caId: input.caId,
        enabled: input.enabled ?? true,
        identityAttribute: input.identity?.attribute ?? DEFAULT_IDENTITY_ATTRIBUTE,
        identitySource: input.identity?.source ?? DEFAULT_IDENTITY_SOURCE,
        inventoryGroup: input.inventoryGroup ?? null,
        tags: input.tags ?? {},
        bootstrap: template(input.bootstrap),
        allocationWebhookId: input.allocationWebhookId ?? null,
        createdAt: nowMs,
        updatedAt: nowMs,
      });
      await write(tenantId, g, 'enrollment.group_created', async (tx) => {
        if ((await countGroups(tx, tenantId)) >= MAX_GROUPS_PER_TENANT)
          throw enrollmentErrors.tooMany('enrollment groups', MAX_GROUPS_PER_TENANT);
        await insertGroup(tx, g);
      });
      return g;
    },

    // A filter that is no UUID matches nothing (and must not reach PostgreSQL, e.g. with a NUL).
    list: async (tenantId, q) =>
      q.caId !== undefined && !isUuid(q.caId) ? { groups: [], total: 0 } : listGroups(db, tenantId, q),

    get: (tenantId, id) => mustFind(db, tenantId, id),

    async update(tenantId, id, patch) {
      const current = await mustFind(db, tenantId, id);
      const next = await checked({
        ...current,
        name: patch.name ?? current.name,
        caId: patch.caId ?? current.caId,
        enabled: patch.enabled ?? current.enabled,
        identityAttribute: patch.identity?.attribute ?? current.identityAttribute,
        identitySource: patch.identity?.source ?? current.identitySource,
        inventoryGroup: patch.inventoryGroup === undefined ? current.inventoryGroup : patch.inventoryGroup,
        tags: patch.tags ?? current.tags,
        bootstrap: patch.bootstrap === undefined ? current.bootstrap : template(patch.bootstrap),
        allocationWebhookId:
          patch.allocationWebhookId === undefined ? current.allocationWebhookId : patch.allocationWebhookId,
        updatedAt: clock.nowMs(),
      });
      await write(tenantId, next, 'enrollment.group_updated', async (tx) => {
        await mustFind(tx, tenantId, id);
        await updateGroup(tx, next);
      });
      return next;
    },

    async remove(tenantId, id) {
      await db.transaction().execute(async (tx) => {
        const g = await mustFind(tx, tenantId, id);
        await deleteGroup(tx, tenantId, id);
        await recordEvent(tx, {
          tenantId,
          type: 'enrollment.group_removed',
          payload: { enrollment_group_id: g.id, name: g.name, ca_id: g.caId },
          nowMs: clock.nowMs(),
        });
      });
    },
  };
};

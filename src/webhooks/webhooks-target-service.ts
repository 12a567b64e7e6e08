import type { Clock } from '../core/clock.js';
import type { AppError } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { lockKey } from '../store/conflicts.js';
import type { Executor, Store } from '../store/store.js';
import { webhooksErrors } from './webhooks-errors.js';
import { newWebhookSecret } from './webhooks-signing.js';
import { checkTargetUrl } from './webhooks-target.js';
import type { TargetBase, TargetRecord, TargetRepo } from './webhooks-target-repo.js';

/** Per tenant and per kind (docs/webhooks.md). */
export const MAX_SUBSCRIPTIONS_PER_TENANT = 50;
export const MAX_DESCRIPTION_LENGTH = 1024;

export type TargetChange = 'created' | 'updated' | 'deleted' | 'secret_rotated';

/** One webhook kind, as the shared management steps need it. */
export interface TargetKind<T extends TargetBase, OwnPatch> {
  repo: TargetRepo<T, OwnPatch>;
  /** The per-tenant lock that serialises creates (so the cap holds). */
  lockPrefix: string;
  /** The secret box's additional data of a target's sealed secret. */
  secretAad(id: string): string;
  notFound(): AppError;
  /** Records the change in the outbox, in the same transaction. */
  recordChange(tx: Executor, target: T, change: TargetChange): Promise<unknown>;
}

/**
 * The management steps both webhook kinds share: URL and description checks, the secret (shown
 * once, sealed at rest for its own row), the per-tenant cap, and the event of every change.
 * Each kind checks its own fields before calling these, so errors come in the same order.
 */
export const createTargetSteps = <T extends TargetBase, OwnPatch>(
  deps: { store: Store; clock: Clock; box: SecretBox; allowPrivateTargets: boolean },
  kind: TargetKind<T, OwnPatch>,
) => {
  const { clock, box } = deps;
  const db = deps.store.db;
  const { repo } = kind;

  const find = async (ex: Executor, tenantId: string, id: string): Promise<TargetRecord<T> | undefined> =>
    isUuid(id) ? repo.find(ex, tenantId, id) : undefined;
  const mustFind = async (ex: Executor, tenantId: string, id: string): Promise<TargetRecord<T>> => {
    const r = await find(ex, tenantId, id);
    if (!r) throw kind.notFound();
    return r;
  };

  return {
    find,
    mustFind,

    checkUrl: (raw: string): string => checkTargetUrl(raw, { allowPrivate: deps.allowPrivateTargets }),
    checkOptionalUrl: (raw: string | undefined): string | undefined =>
      raw === undefined ? undefined : checkTargetUrl(raw, { allowPrivate: deps.allowPrivateTargets }),
    checkDescription: (d: string | undefined): string | undefined => {
      if (d !== undefined && d.length > MAX_DESCRIPTION_LENGTH)
        throw webhooksErrors.badRequest(`description longer than ${MAX_DESCRIPTION_LENGTH} characters`);
      return d;
    },

    /** Stores a checked new target with a new secret, unless the tenant has reached the cap. */
    async create(target: T): Promise<{ target: T; secret: string }> {
      const secret = newWebhookSecret();
      const secretSealed = box.seal(secret, kind.secretAad(target.id));
      await db.transaction().execute(async (tx) => {
        // Count and insert one at a time per tenant, or concurrent creates could pass the cap.
        await lockKey(tx, `${kind.lockPrefix}:${target.tenantId}`);
        if ((await repo.count(tx, target.tenantId)) >= MAX_SUBSCRIPTIONS_PER_TENANT)
          throw webhooksErrors.tooMany(MAX_SUBSCRIPTIONS_PER_TENANT);
        await repo.insert(tx, { target, secretSealed });
        await kind.recordChange(tx, target, 'created');
      });
      return { target, secret };
    },

    list: (tenantId: string, q: { offset: number; limit: number }) => repo.list(db, tenantId, q),

    get: async (tenantId: string, id: string): Promise<T> => (await mustFind(db, tenantId, id)).target,

    /**
     * Applies checked changes: the shared fields, and the kind's own as stored (`own`) and as
     * applied to the current target (`apply`).
     */
    async update(
      tenantId: string,
      id: string,
      shared: { url: string | undefined; description: string | undefined },
      own: OwnPatch,
      apply: (current: T) => Partial<T>,
    ): Promise<T> {
      const nowMs = clock.nowMs();
      return db.transaction().execute(async (tx) => {
        const current = (await mustFind(tx, tenantId, id)).target;
        const next: T = {
          ...current,
          url: shared.url ?? current.url,
          description: shared.description ?? current.description,
          ...apply(current),
          updatedAt: nowMs,
        };
        await repo.update(tx, tenantId, id, { ...shared, updatedAt: nowMs }, own);
        await kind.recordChange(tx, next, 'updated');
        return next;
      });
    },

    async remove(tenantId: string, id: string): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const { target } = await mustFind(tx, tenantId, id);
        await repo.remove(tx, tenantId, id);
        await kind.recordChange(tx, target, 'deleted');
      });
    },

    async rotateSecret(tenantId: string, id: string): Promise<{ target: T; secret: string }> {
      const secret = newWebhookSecret();
      const secretSealed = box.seal(secret, kind.secretAad(id));
      const nowMs = clock.nowMs();
      const target = await db.transaction().execute(async (tx) => {
        const current = (await mustFind(tx, tenantId, id)).target;
        await repo.update(tx, tenantId, id, { secretSealed, updatedAt: nowMs });
        const next = { ...current, updatedAt: nowMs };
        await kind.recordChange(tx, next, 'secret_rotated');
        return next;
      });
      return { target, secret };
    },
  };
};

import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import { type EventType, recordEvent } from '../events/index.js';
import { retryOnConflict } from '../store/conflicts.js';
import { type Executor, isForeignKeyViolation, isUniqueViolation, type Store } from '../store/store.js';
import { enrollmentErrors } from './enrollment-errors.js';
import {
  checkInventoryGroup,
  checkRegistrationId,
  checkTags,
  normaliseFingerprint,
} from './enrollment-input.js';
import { findGroup } from './enrollment-repo-groups.js';
import {
  deleteIndividual,
  findIndividual,
  findIndividualByRegistration,
  insertIndividual,
  listIndividuals,
  updateIndividual,
} from './enrollment-repo-individuals.js';
import type { IndividualEnrollment } from './enrollment-types.js';

export interface IndividualInput {
  registrationId: string;
  enabled?: boolean;
  groupId?: string | null;
  certificateFingerprint?: string | null;
  inventoryGroup?: string | null;
  tags?: Record<string, string> | null;
}

export type IndividualPatch = Partial<IndividualInput>;

export interface EnrollmentIndividualsService {
  create(tenantId: string, input: IndividualInput): Promise<IndividualEnrollment>;
  list(
    tenantId: string,
    q: { offset: number; limit: number; groupId?: string },
  ): Promise<{ individuals: IndividualEnrollment[]; total: number }>;
  get(tenantId: string, id: string): Promise<IndividualEnrollment>;
  update(tenantId: string, id: string, patch: IndividualPatch): Promise<IndividualEnrollment>;
  remove(tenantId: string, id: string): Promise<void>;
}

export const createEnrollmentIndividualsService = (deps: {
  store: Store;
  clock: Clock;
}): EnrollmentIndividualsService => {
  const { clock } = deps;
  const db = deps.store.db;
  // Requests racing past a write's checks: the unique index lets one in, the others run again
  // and their checks see it (docs/adr/0013-database-invariants.md).
  const inTransaction = <T>(fn: (tx: Executor) => Promise<T>) =>
    retryOnConflict(() => db.transaction().execute(fn));

  const mustFind = async (ex: Executor, tenantId: string, id: string): Promise<IndividualEnrollment> => {
    const e = isUuid(id) ? await findIndividual(ex, tenantId, id) : undefined;
    if (!e) throw enrollmentErrors.individualNotFound();
    return e;
  };

  const checked = (e: IndividualEnrollment): IndividualEnrollment => ({
    ...e,
    registrationId: checkRegistrationId(e.registrationId),
    certificateFingerprint:
      e.certificateFingerprint === null ? null : normaliseFingerprint(e.certificateFingerprint),
    inventoryGroup: checkInventoryGroup(e.inventoryGroup),
    tags: e.tags === null ? null : checkTags(e.tags),
  });

  const write = async (e: IndividualEnrollment, type: EventType, fn: (tx: Executor) => Promise<void>) => {
    try {
      await inTransaction(async (tx) => {
        if (e.groupId !== null && (!isUuid(e.groupId) || !(await findGroup(tx, e.tenantId, e.groupId))))
          throw enrollmentErrors.badRequest('group_id names no enrollment group of this tenant');
        const other = await findIndividualByRegistration(tx, e.tenantId, e.registrationId);
        if (other && other.id !== e.id)
          throw enrollmentErrors.conflict('an individual enrollment for this registration_id exists');
        await fn(tx);
        await recordEvent(tx, {
          tenantId: e.tenantId,
          type,
          payload: {
            individual_enrollment_id: e.id,
            registration_id: e.registrationId,
            enrollment_group_id: e.groupId,
            enabled: e.enabled,
          },
          nowMs: e.updatedAt,
        });
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) throw enrollmentErrors.badRequest('the enrollment group is gone');
      if (isUniqueViolation(err))
        throw enrollmentErrors.conflict('an individual enrollment for this registration_id exists');
      throw err;
    }
  };

  return {
    async create(tenantId, input) {
      const nowMs = clock.nowMs();
      const e = checked({
        id: newId(),
        tenantId,
        registrationId: input.registrationId,
        groupId: input.groupId ?? null,
        enabled: input.enabled ?? true,
        certificateFingerprint: input.certificateFingerprint ?? null,
        inventoryGroup: input.inventoryGroup ?? null,
        tags: input.tags ?? null,
        createdAt: nowMs,
        updatedAt: nowMs,
      });
      await write(e, 'enrollment.individual_created', (tx) => insertIndividual(tx, e));
      return e;
    },

    // A filter that is no UUID matches nothing (and must not reach PostgreSQL, e.g. with a NUL).
    list: async (tenantId, q) =>
      q.groupId !== undefined && !isUuid(q.groupId)
        ? { individuals: [], total: 0 }
        : listIndividuals(db, tenantId, q),

    get: (tenantId, id) => mustFind(db, tenantId, id),

    async update(tenantId, id, patch) {
      const current = await mustFind(db, tenantId, id);
      const pick = <K extends keyof IndividualPatch>(
        k: K,
        fallback: IndividualEnrollment[K & keyof IndividualEnrollment],
      ) => (patch[k] === undefined ? fallback : patch[k]);
      const next = checked({
        ...current,
        registrationId: patch.registrationId ?? current.registrationId,
        enabled: patch.enabled ?? current.enabled,
        groupId: pick('groupId', current.groupId) as string | null,
        certificateFingerprint: pick('certificateFingerprint', current.certificateFingerprint) as
          | string
          | null,
        inventoryGroup: pick('inventoryGroup', current.inventoryGroup) as string | null,
        tags: pick('tags', current.tags) as Record<string, string> | null,
        updatedAt: clock.nowMs(),
      });
      await write(next, 'enrollment.individual_updated', async (tx) => {
        await mustFind(tx, tenantId, id);
        await updateIndividual(tx, next);
      });
      return next;
    },

    async remove(tenantId, id) {
      await db.transaction().execute(async (tx) => {
        const e = await mustFind(tx, tenantId, id);
        await deleteIndividual(tx, tenantId, id);
        await recordEvent(tx, {
          tenantId,
          type: 'enrollment.individual_removed',
          payload: { individual_enrollment_id: e.id, registration_id: e.registrationId },
          nowMs: clock.nowMs(),
        });
      });
    },
  };
};

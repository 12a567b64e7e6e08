import { isUuid } from '../core/ids.js';
import type { Store } from '../store/store.js';
import { enrollmentErrors } from './enrollment-errors.js';
import { findRegistration, listRegistrations } from './enrollment-repo-registrations.js';
import type { Registration } from './enrollment-types.js';

export interface EnrollmentRegistrationsService {
  list(
    tenantId: string,
    q: { offset: number; limit: number; groupId?: string },
  ): Promise<{ registrations: Registration[]; total: number }>;
  get(tenantId: string, deviceId: string): Promise<Registration>;
}

/** Registration records: which enrollment admitted which device, with which certificate. */
export const createEnrollmentRegistrationsService = (deps: {
  store: Store;
}): EnrollmentRegistrationsService => {
  const db = deps.store.db;
  return {
    // A filter that is no UUID matches nothing (and must not reach PostgreSQL, e.g. with a NUL).
    list: async (tenantId, q) =>
      q.groupId !== undefined && !isUuid(q.groupId)
        ? { registrations: [], total: 0 }
        : listRegistrations(db, tenantId, q),
    async get(tenantId, deviceId) {
      const r = isUuid(deviceId) ? await findRegistration(db, tenantId, deviceId) : undefined;
      if (!r) throw enrollmentErrors.registrationNotFound();
      return r;
    },
  };
};

import type { Db } from '../store/store.js';
import type { DomainEvent } from './events-repo.js';
import { type AuditQuery, queryEvents } from './events-repo-audit.js';

export interface AuditLog {
  query(tenantId: string, q: AuditQuery): Promise<{ events: DomainEvent[]; total: number }>;
}

/**
 * The audit log is the outbox itself, read back. Event payloads carry ids, identities and
 * reasons, never secrets (producers keep them out; webhook events carry URLs without query).
 */
export const createAuditLog = (deps: { db: Db }): AuditLog => ({
  query: (tenantId, q) => queryEvents(deps.db, tenantId, q),
});

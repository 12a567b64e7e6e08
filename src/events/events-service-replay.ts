import type { Executor } from '../store/store.js';
import type { DomainEvent } from './events-repo.js';
import { eventsAfter } from './events-repo-stream.js';

/** The events a reconnecting stream missed (events-routes-stream.ts, `Last-Event-ID`). */
export const createEventReplay = (db: Executor) => ({
  after: (
    tenantId: string,
    afterId: string,
    types: readonly string[] | undefined,
    limit: number,
  ): Promise<DomainEvent[]> => eventsAfter(db, tenantId, afterId, types, limit),
});

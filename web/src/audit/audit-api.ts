import { useQuery } from '@tanstack/react-query';
import { apiPage } from '../shared/api';
import type { LiveEvent } from '../shared/events';

export const AUDIT_PATH = '/api/management/v1/audit/events';

export type AuditEvent = LiveEvent;

export interface AuditFilter {
  type: string;
  device: string;
  /** `datetime-local` values (local time), '' for none. */
  since: string;
  until: string;
}

/** "device.*, pki.ca_registered" → ['device.*', 'pki.ca_registered']. */
export const typesOf = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** A `datetime-local` value as RFC 3339 (UTC), or undefined when empty or not a time. */
export const rfc3339 = (local: string): string | undefined => {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
};

/** Keys start with 'audit': the page invalidates them on every live event. */
export const useAuditPage = (f: AuditFilter, page: number, perPage: number) =>
  useQuery({
    queryKey: ['audit', f, page, perPage],
    queryFn: () =>
      apiPage<AuditEvent>(AUDIT_PATH, {
        type: typesOf(f.type),
        device_id: f.device.trim(),
        since: rfc3339(f.since),
        until: rfc3339(f.until),
        page,
        per_page: perPage,
      }),
    placeholderData: (prev) => prev,
  });

/** Who did it: the user of a management action, when the event says. */
export const actorOf = (e: AuditEvent): string | null => {
  const actor = e.data?.actor as { email?: unknown; type?: unknown } | undefined;
  return actor && typeof actor.email === 'string' ? actor.email : null;
};

/** A one-line taste of an event's data (its first few fields) for the table. */
export const summaryOf = (data: Record<string, unknown>): string =>
  Object.entries(data)
    .filter(([k]) => k !== 'actor')
    .slice(0, 3)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ')
    .slice(0, 140);

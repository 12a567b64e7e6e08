import { Type } from 'typebox';
import { commonErrors } from '../core/errors.js';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import type { AuditLog } from './events-service-audit.js';
import { EventWire, eventToWire, TypeFilters, typeFiltersOf } from './events-wire.js';

const AuditQuery = Type.Object({
  type: Type.Optional(TypeFilters),
  device_id: Type.Optional(Type.String({ maxLength: 64 })),
  since: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339, inclusive' })),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339, inclusive' })),
  ...PagingQuery,
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const parseTime = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const ms = RFC3339.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms)) throw commonErrors.badRequest(`invalid ${name}: expected an RFC 3339 time`);
  return ms;
};

export const AUDIT_EVENTS_PATH = '/api/management/v1/audit/events';

export const auditRoutes = (audit: AuditLog) => async (app: App) => {
  app.get(
    AUDIT_EVENTS_PATH,
    {
      schema: {
        tags: ['Audit log'],
        summary: "The tenant's events, newest first",
        description:
          'Every domain event (device lifecycle, deployments, bootstrap, PKI, webhooks, allocation), as sent to webhooks. Filters combine; `type` may repeat.',
        querystring: AuditQuery,
        response: { 200: Type.Array(EventWire), ...errorResponses(400, 401) },
      },
    },
    async (req, reply) => {
      const page = parsePage(req.query);
      const q = req.query;
      const { events, total } = await audit.query(userOf(req).tenantId, {
        types: typeFiltersOf(q.type),
        deviceId: q.device_id,
        sinceMs: parseTime('since', q.since),
        untilMs: parseTime('until', q.until),
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, events.map(eventToWire), total, pageFollows(page, total));
    },
  );
};

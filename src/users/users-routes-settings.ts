import { Type } from 'typebox';
import { READ_ONLY_SAFE } from '../http/auth-hooks.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { usersErrors } from './users-errors.js';
import { MAX_SETTINGS_BYTES, type UserSettings } from './users-settings.js';
import type { SettingsOwner } from './users-settings-repo.js';
import type { UserPrincipal } from './users-types.js';

const BASE = '/api/management/v1/useradm';
const tags = ['Users'];

const Settings = Type.Object(
  {},
  {
    additionalProperties: true,
    maxProperties: 1000,
    description: 'Any JSON object (the web UI keeps its preferences here)',
  },
);
const IfMatch = Type.Object({
  'if-match': Type.Optional(
    Type.String({ maxLength: 1024, description: 'The ETag the settings must still have' }),
  ),
});

/**
 * Mender's useradm settings: GET answers the object (`{}` when none was stored) with its ETag;
 * POST replaces it whole (201), with If-Match only while the ETag matches (412). Global settings
 * are the tenant's and only admins change them; `settings/me` are the caller's own, which
 * read-only users may change too (they are console preferences, not fleet data).
 */
export const usersSettingsRoutes = (settings: UserSettings) => async (app: App) => {
  const routes: { path: string; owner: (p: UserPrincipal) => SettingsOwner; admin: boolean; what: string }[] =
    [
      {
        path: `${BASE}/settings`,
        owner: (p) => ({ kind: 'tenant', tenantId: p.tenantId }),
        admin: true,
        what: "your tenant's global settings",
      },
      {
        path: `${BASE}/settings/me`,
        owner: (p) => ({ kind: 'user', tenantId: p.tenantId, userId: p.userId }),
        admin: false,
        what: 'your own settings',
      },
    ];
  for (const r of routes) {
    app.get(
      r.path,
      {
        schema: {
          tags,
          summary: `Get ${r.what}`,
          description: '`{}` until settings are stored; the `ETag` header names the stored version.',
          response: { 200: Settings, ...errorResponses(401) },
        },
      },
      async (req, reply) => {
        const { settings: body, etag } = await settings.get(r.owner(userOf(req)));
        if (etag) reply.header('ETag', etag);
        return body;
      },
    );

    app.post(
      r.path,
      {
        bodyLimit: MAX_SETTINGS_BYTES + 1024,
        ...(r.admin ? {} : { config: READ_ONLY_SAFE }),
        schema: {
          tags,
          summary: `Replace ${r.what}${r.admin ? ' (admin)' : ''}`,
          description: `The whole object is replaced (at most ${MAX_SETTINGS_BYTES} bytes of JSON). With \`If-Match\`, only while the settings still have that ETag (\`*\`: any stored version); 412 otherwise.`,
          headers: IfMatch,
          body: Settings,
          response: { 201: EmptyBody, ...errorResponses(400, 401, 403, 412) },
        },
      },
      async (req, reply) => {
        const p = userOf(req);
        if (r.admin && p.role !== 'admin') throw usersErrors.adminOnly();
        await settings.set(r.owner(p), req.body as Record<string, unknown>, req.headers['if-match']);
        return reply.code(201).send();
      },
    );
  }
};

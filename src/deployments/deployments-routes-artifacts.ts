import { type Static, Type } from 'typebox';
import { offsetOf, parsePage, sendPage } from '../core/pagination.js';
import { baseUrlFor } from '../http/base-url.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { deploymentsErrors } from './deployments-errors.js';
import type { ArtifactQuery } from './deployments-repo-artifacts.js';
import { artifactUploadRoute } from './deployments-routes-upload.js';
import { ArtifactWire, artifactToWire } from './deployments-schemas.js';
import { type ArtifactsService, MAX_DESCRIPTION_LENGTH } from './deployments-service-artifacts.js';

const BASE = '/api/management/v1/deployments';
const tags = ['Artifacts'];
const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const ListQuery = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 256 })),
  description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH })),
  device_type: Type.Optional(Type.String({ maxLength: 256 })),
  page: Type.Optional(Type.String({ maxLength: 10 })),
  per_page: Type.Optional(Type.String({ maxLength: 10 })),
  sort: Type.Optional(
    Type.String({ maxLength: 32, description: 'name:asc (default), name:desc, modified:asc, modified:desc' }),
  ),
});

const parseSort = (sort: string | undefined): ArtifactQuery['sort'] => {
  if (sort === undefined || sort === '') return { by: 'name', desc: false };
  const m = /^(name|modified)(?::(asc|desc))?$/.exec(sort);
  if (!m) throw deploymentsErrors.badUpload('sort must be name or modified, optionally with :asc or :desc');
  return { by: m[1] as 'name' | 'modified', desc: m[2] === 'desc' };
};

/**
 * Artifact management (docs/compat/mender-management.md#artifacts): upload (multipart, streamed),
 * list, get, edit, delete, download link.
 */
export const deploymentsArtifactRoutes =
  (
    service: ArtifactsService,
    config: { publicUrl: string; publicUrlConfigured: boolean; maxArtifactBytes: number },
  ) =>
  async (app: App) => {
    // Only the upload parses multipart: elsewhere a form is a 415, not a body quietly ignored.
    await app.register(artifactUploadRoute(service, config));

    const list = async (tenantId: string, q: Static<typeof ListQuery>, paged: boolean) => {
      const page = parsePage(paged ? q : { page: '1', per_page: '500' });
      const { artifacts, total } = await service.list(tenantId, {
        name: q.name,
        description: q.description,
        deviceType: q.device_type,
        sort: parseSort(q.sort),
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return { page, body: artifacts.map(artifactToWire), total };
    };

    app.get(
      `${BASE}/artifacts`,
      {
        schema: {
          tags,
          summary: 'List artifacts (deprecated Mender form, up to 500; mender-cli 1.9 uses it)',
          querystring: ListQuery,
          response: { 200: Type.Array(ArtifactWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const r = await list(userOf(req).tenantId, req.query, false);
        return reply.header('X-Total-Count', String(r.total)).send(r.body);
      },
    );

    app.get(
      `${BASE}/artifacts/list`,
      {
        schema: {
          tags,
          summary: 'List artifacts, paged',
          querystring: ListQuery,
          response: { 200: Type.Array(ArtifactWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const r = await list(userOf(req).tenantId, req.query, true);
        return sendPage(reply, req.url, r.page, r.body, r.total);
      },
    );

    app.get(
      `${BASE}/artifacts/:id`,
      {
        schema: {
          tags,
          summary: 'Get an artifact',
          params: IdParams,
          response: { 200: ArtifactWire, ...errorResponses(401, 404) },
        },
      },
      async (req) => artifactToWire(await service.get(userOf(req).tenantId, req.params.id)),
    );

    app.put(
      `${BASE}/artifacts/:id`,
      {
        schema: {
          tags,
          summary: "Edit an artifact's description",
          params: IdParams,
          body: Type.Object({ description: Type.String({ maxLength: MAX_DESCRIPTION_LENGTH }) }),
          response: { 204: EmptyBody, ...errorResponses(400, 401, 404) },
        },
      },
      async (req, reply) => {
        await service.setDescription(userOf(req).tenantId, req.params.id, req.body.description);
        return reply.code(204).send();
      },
    );

    app.delete(
      `${BASE}/artifacts/:id`,
      {
        schema: {
          tags,
          summary: 'Delete an artifact (409 while an unfinished deployment uses its name)',
          params: IdParams,
          response: { 204: EmptyBody, ...errorResponses(401, 404, 409) },
        },
      },
      async (req, reply) => {
        await service.remove(userOf(req).tenantId, req.params.id);
        return reply.code(204).send();
      },
    );

    app.get(
      `${BASE}/artifacts/:id/download`,
      {
        schema: {
          tags,
          summary: 'A signed link to download the artifact (valid 15 minutes, no Authorization needed)',
          params: IdParams,
          response: {
            200: Type.Object({ uri: Type.String(), expire: Type.String() }),
            ...errorResponses(401, 404),
          },
        },
      },
      async (req) => service.downloadLink(userOf(req).tenantId, req.params.id, baseUrlFor(config, req)),
    );
  };

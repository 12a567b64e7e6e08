import { Type } from 'typebox';
import { offsetOf, parsePage, sendPage } from '../core/pagination.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { ArtifactWire, artifactToWire } from './deployments-schemas.js';
import {
  MAX_DELETED_RELEASES,
  MAX_NOTES_LENGTH,
  MAX_RELEASE_TAGS,
  MAX_TAG_LENGTH,
  type Release,
  type ReleasesService,
  releaseSorts,
} from './deployments-service-releases.js';

const V1 = '/api/management/v1/deployments';
const V2 = '/api/management/v2/deployments';
const tags = ['Releases'];

const ReleaseWire = Type.Object({
  name: Type.String(),
  modified: Type.String({ description: 'last modification of any of its artifacts (RFC 3339)' }),
  artifacts: Type.Array(ArtifactWire),
  artifacts_count: Type.Integer(),
  tags: Type.Array(Type.String()),
  notes: Type.String(),
});
const NameParams = Type.Object({ release_name: Type.String({ minLength: 1, maxLength: 256 }) });
const TagList = Type.Array(Type.String({ maxLength: MAX_TAG_LENGTH }), {
  maxItems: MAX_RELEASE_TAGS * 5,
  description: `at most ${MAX_RELEASE_TAGS} different tags of letters, digits, '_', '.' and '-'`,
});

const NameList = Type.Union([
  Type.String({ maxLength: 256 }),
  Type.Array(Type.String({ maxLength: 256 }), { maxItems: MAX_DELETED_RELEASES }),
]);
const namesOf = (q: string | string[]): string[] => (Array.isArray(q) ? q : [q]).filter((n) => n !== '');

/**
 * Mender's v1 release (`model.ReleaseV1`): `Name`, `Artifacts` and `ArtifactsCount` capitalised
 * as Mender's web UI before v2 reads them; `name` is kept as well (Gatehouse's console and the
 * example of Mender's document read it).
 */
const ReleaseV1Wire = Type.Object({
  Name: Type.String(),
  name: Type.String(),
  modified: Type.String(),
  Artifacts: Type.Array(ArtifactWire),
  ArtifactsCount: Type.Integer(),
  tags: Type.Array(Type.String()),
  notes: Type.String(),
});

const releaseToWire = (r: Release) => ({
  name: r.name,
  modified: new Date(r.modifiedAt).toISOString(),
  artifacts: r.artifacts.map(artifactToWire),
  artifacts_count: r.artifactsCount,
  tags: r.tags,
  notes: r.notes,
});

const releaseToV1Wire = (r: Release) => {
  const { name, artifacts, artifacts_count, ...rest } = releaseToWire(r);
  return { Name: name, name, Artifacts: artifacts, ArtifactsCount: artifacts_count, ...rest };
};

/**
 * Deployments v2 releases, as Mender's web UI reads them: the artifacts grouped by name, with
 * tags and notes; paged and sorted; the tenant's tags and update types.
 */
export const deploymentsReleaseRoutes = (service: ReleasesService) => async (app: App) => {
  app.get(
    `${V1}/deployments/releases`,
    {
      schema: {
        tags,
        summary: 'List releases (artifacts grouped by name), all of them (deprecated Mender form)',
        description:
          'The releases of the v2 list, unpaged, in name order, with `X-Total-Count`: `name` matches any part of a release name, case-insensitively; `update_type` keeps releases with an artifact of that type. Tenants of more than 20,000 artifacts get 422, as in v2.',
        querystring: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 256 })),
          update_type: Type.Optional(Type.String({ maxLength: 256 })),
        }),
        response: { 200: Type.Array(ReleaseV1Wire), ...errorResponses(401, 422) },
      },
    },
    async (req, reply) => {
      const { releases, total } = await service.list(userOf(req).tenantId, {
        name: req.query.name || undefined,
        updateType: req.query.update_type || undefined,
        sort: 'name:asc',
        offset: 0,
        limit: Number.MAX_SAFE_INTEGER,
      });
      return reply.header('X-Total-Count', String(total)).send(releases.map(releaseToV1Wire));
    },
  );

  app.get(
    `${V1}/deployments/releases/list`,
    {
      schema: {
        tags,
        summary: 'List releases, paged (deprecated Mender form of the v2 list)',
        description:
          'The v2 list in the v1 shape: `name` matches any part of a release name, case-insensitively; `update_type` keeps releases with an artifact of that type, `device_type` those with an artifact compatible with that device type, `description` those with an artifact whose description contains it (ignoring case); `sort` as in v2. `X-Total-Count` and `Link` as every paged list.',
        querystring: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 256 })),
          update_type: Type.Optional(Type.String({ maxLength: 256 })),
          device_type: Type.Optional(Type.String({ maxLength: 256 })),
          description: Type.Optional(Type.String({ maxLength: 1024 })),
          page: Type.Optional(Type.String({ maxLength: 10 })),
          per_page: Type.Optional(Type.String({ maxLength: 10 })),
          sort: Type.Optional(Type.Union(releaseSorts.map((s) => Type.Literal(s)))),
        }),
        response: { 200: Type.Array(ReleaseV1Wire), ...errorResponses(400, 401, 422) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const page = parsePage(q);
      const { releases, total } = await service.list(userOf(req).tenantId, {
        name: q.name || undefined,
        updateType: q.update_type || undefined,
        deviceType: q.device_type || undefined,
        description: q.description || undefined,
        sort: q.sort ?? 'name:asc',
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, releases.map(releaseToV1Wire), total);
    },
  );

  app.delete(
    `${V2}/deployments/releases`,
    {
      schema: {
        tags,
        summary: 'Delete releases: every artifact of each named release',
        description: `\`name\` (repeatable, at most ${MAX_DELETED_RELEASES}) names the releases. Nothing is deleted while an unfinished deployment uses one of them: 409 with \`active_deployments\`, their ids. Names of no release are no error. Tags and notes go with the release.`,
        querystring: Type.Object({ name: Type.Optional(NameList) }),
        response: {
          204: EmptyBody,
          409: Type.Object(
            {
              error: Type.String(),
              request_id: Type.Optional(Type.String()),
              active_deployments: Type.Array(Type.String()),
            },
            { description: 'an unfinished deployment uses one of the releases' },
          ),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (req, reply) => {
      await service.remove(userOf(req).tenantId, namesOf(req.query.name ?? []));
      return reply.code(204).send();
    },
  );

  app.get(
    `${V2}/deployments/releases`,
    {
      schema: {
        tags,
        summary: 'List releases (artifacts grouped by name), paged',
        description:
          '`name` matches any part of a release name, case-insensitively; `tag` (repeatable) keeps releases with any of the tags; `update_type` releases with an artifact of that type. `X-Total-Count` and `Link` as every paged list.',
        querystring: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 256 })),
          tag: Type.Optional(Type.Union([Type.String({ maxLength: MAX_TAG_LENGTH }), TagList])),
          update_type: Type.Optional(Type.String({ maxLength: 256 })),
          page: Type.Optional(Type.String({ maxLength: 10 })),
          per_page: Type.Optional(Type.String({ maxLength: 10 })),
          sort: Type.Optional(Type.Union(releaseSorts.map((s) => Type.Literal(s)))),
        }),
        response: { 200: Type.Array(ReleaseWire), ...errorResponses(400, 401, 422) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const page = parsePage(q);
      const { releases, total } = await service.list(userOf(req).tenantId, {
        name: q.name,
        tags: q.tag === undefined ? undefined : Array.isArray(q.tag) ? q.tag : [q.tag],
        updateType: q.update_type,
        sort: q.sort ?? 'name:asc',
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, releases.map(releaseToWire), total);
    },
  );

  app.get(
    `${V2}/deployments/releases/:release_name`,
    {
      schema: {
        tags,
        summary: 'Get a release',
        params: NameParams,
        response: { 200: ReleaseWire, ...errorResponses(401, 404, 422) },
      },
    },
    async (req) => releaseToWire(await service.get(userOf(req).tenantId, req.params.release_name)),
  );

  app.patch(
    `${V2}/deployments/releases/:release_name`,
    {
      schema: {
        tags,
        summary: "Set a release's notes",
        params: NameParams,
        body: Type.Object({ notes: Type.Optional(Type.String({ maxLength: MAX_NOTES_LENGTH })) }),
        response: { 204: EmptyBody, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      if (req.body.notes !== undefined)
        await service.setNotes(userOf(req).tenantId, req.params.release_name, req.body.notes);
      return reply.code(204).send();
    },
  );

  app.put(
    `${V2}/deployments/releases/:release_name/tags`,
    {
      schema: {
        tags,
        summary: "Replace a release's tags",
        description: `At most ${MAX_RELEASE_TAGS} tags per release and 100 different tags in the tenant (409 beyond).`,
        params: NameParams,
        body: TagList,
        response: { 204: EmptyBody, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (req, reply) => {
      await service.setTags(userOf(req).tenantId, req.params.release_name, req.body);
      return reply.code(204).send();
    },
  );

  app.get(
    `${V2}/releases/all/tags`,
    {
      schema: {
        tags,
        summary: 'Every tag of your releases, sorted',
        response: { 200: Type.Array(Type.String()), ...errorResponses(401) },
      },
    },
    async (req) => service.tags(userOf(req).tenantId),
  );

  app.get(
    `${V2}/releases/all/types`,
    {
      schema: {
        tags,
        summary: 'Every update type of your artifacts, sorted',
        response: { 200: Type.Array(Type.String()), ...errorResponses(401, 422) },
      },
    },
    async (req) => service.types(userOf(req).tenantId),
  );
};

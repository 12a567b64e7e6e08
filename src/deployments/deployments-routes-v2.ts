import { Type } from 'typebox';
import { commonErrors } from '../core/errors.js';
import { offsetOf, parsePage, sendPage } from '../core/pagination.js';
import { errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import type { ArtifactQuery } from './deployments-repo-artifacts.js';
import { ArtifactWire, artifactToWire, DeploymentWire, deploymentToWire } from './deployments-schemas.js';
import { type ArtifactsService, MAX_DESCRIPTION_LENGTH } from './deployments-service-artifacts.js';
import type { DeploymentsService } from './deployments-service-mgmt.js';

const V2 = '/api/management/v2/deployments';
const MAX_LISTED = 100;

const Repeatable = (maxLength: number) =>
  Type.Union([
    Type.String({ maxLength }),
    Type.Array(Type.String({ maxLength }), { maxItems: MAX_LISTED, description: `at most ${MAX_LISTED}` }),
  ]);
const listOf = (q: string | string[] | undefined): string[] =>
  (q === undefined ? [] : Array.isArray(q) ? q : [q]).filter((s) => s !== '');
const Seconds = Type.String({ maxLength: 16, pattern: '^[0-9]+$', description: 'Unix time, seconds' });

const DeploymentsQuery = Type.Object({
  id: Type.Optional(Repeatable(64)),
  name: Type.Optional(Repeatable(256)),
  status: Type.Optional(Type.Enum(['pending', 'inprogress', 'finished'])),
  type: Type.Optional(Type.Enum(['software', 'configuration'])),
  page: Type.Optional(Type.String({ maxLength: 10 })),
  per_page: Type.Optional(Type.String({ maxLength: 10 })),
  created_before: Type.Optional(Seconds),
  created_after: Type.Optional(Seconds),
  sort: Type.Optional(Type.Enum(['asc', 'desc'])),
});

const ArtifactsQuery = Type.Object({
  name: Type.Optional(Repeatable(256)),
  description: Type.Optional(Type.String({ maxLength: MAX_DESCRIPTION_LENGTH + 1 })),
  device_type: Type.Optional(Type.String({ maxLength: 256 })),
  page: Type.Optional(Type.String({ maxLength: 10 })),
  per_page: Type.Optional(Type.String({ maxLength: 10 })),
});

/** Mender's v2 filter value: exact, or a prefix when it ends in `*`. */
const prefixOf = (v: string | undefined): string | undefined =>
  v?.endsWith('*') && v.length > 1 ? v.slice(0, -1) : undefined;

const artifactFilters = (q: {
  name?: string | string[];
  description?: string;
  device_type?: string;
}): Partial<ArtifactQuery> => {
  const names = listOf(q.name);
  const namePrefix = names.length === 1 ? prefixOf(names[0]) : undefined;
  if (namePrefix === undefined && names.some((n) => n.endsWith('*')) && names.length > 1)
    throw commonErrors.badRequest('a name prefix (ending in *) must be the only name');
  const description = q.description || undefined;
  const deviceType = q.device_type || undefined;
  const descriptionPrefix = prefixOf(description);
  const deviceTypePrefix = prefixOf(deviceType);
  return {
    ...(namePrefix !== undefined ? { namePrefix } : { names }),
    ...(descriptionPrefix !== undefined ? { descriptionPrefix } : { description }),
    ...(deviceTypePrefix !== undefined ? { deviceTypePrefix } : { deviceType }),
  };
};

/**
 * Mender's v2 lists of deployments and artifacts: the v1 lists' queries with repeatable exact
 * filters (v2 deployments: ids and names; v2 artifacts: names) and `foo*` prefixes (artifacts).
 */
export const deploymentsV2Routes =
  (deps: { deployments: DeploymentsService; artifacts: ArtifactsService }) => async (app: App) => {
    app.get(
      `${V2}/deployments`,
      {
        schema: {
          tags: ['Deployments'],
          summary: 'List deployments (v2: repeatable id and name filters)',
          description:
            '`id` and `name` (repeatable, exact) keep deployments with any of the ids and any of the names; `created_before` and `created_after` (Unix seconds) include their second; `sort` orders by creation (desc by default). Every Gatehouse deployment is a software deployment: `type=configuration` lists nothing. X-Total-Count: all matching deployments.',
          querystring: DeploymentsQuery,
          response: { 200: Type.Array(DeploymentWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const page = parsePage(q);
        const { deployments, total } =
          q.type === 'configuration'
            ? { deployments: [], total: 0 }
            : await deps.deployments.list(userOf(req).tenantId, {
                ids: listOf(q.id),
                names: listOf(q.name),
                status: q.status,
                // Mender's bounds are inclusive, in seconds; the repository's are exclusive, in ms.
                createdBeforeMs:
                  q.created_before !== undefined ? (Number(q.created_before) + 1) * 1000 : undefined,
                createdAfterMs:
                  q.created_after !== undefined ? Number(q.created_after) * 1000 - 1 : undefined,
                desc: q.sort !== 'asc',
                offset: offsetOf(page),
                limit: page.perPage,
              });
        return sendPage(reply, req.url, page, deployments.map(deploymentToWire), total);
      },
    );

    app.get(
      `${V2}/artifacts`,
      {
        schema: {
          tags: ['Artifacts'],
          summary: 'List artifacts, paged, by name (v2: repeatable names, prefixes)',
          description:
            '`name` (repeatable) keeps artifacts of any of the names; a single `name`, `description` or `device_type` ending in `*` matches as a case-sensitive prefix. Sorted by name. X-Total-Count: all matching artifacts.',
          querystring: ArtifactsQuery,
          response: { 200: Type.Array(ArtifactWire), ...errorResponses(400, 401) },
        },
      },
      async (req, reply) => {
        const page = parsePage(req.query);
        const { artifacts, total } = await deps.artifacts.list(userOf(req).tenantId, {
          ...artifactFilters(req.query),
          sort: { by: 'name', desc: false },
          offset: offsetOf(page),
          limit: page.perPage,
        });
        return sendPage(reply, req.url, page, artifacts.map(artifactToWire), total);
      },
    );
  };

import type { FastifySchema } from 'fastify';
import { type Static, type TSchema, Type } from 'typebox';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { EmptyBody, errorResponses } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { IdParams } from './enrollment-schemas.js';

/**
 * One kind of enrollment as a management resource (groups, individual enrollments): where it
 * lives, its wire shapes, the OpenAPI summary of each route and the service calls behind them.
 */
export interface EnrollmentResource<
  Entity extends { id: string },
  CreateBody extends TSchema,
  PatchBody extends TSchema,
  ListQuery extends TSchema,
  Wire extends TSchema,
> {
  path: string;
  summaries: { create: string; list: string; read: string; change: string; remove: string };
  schemas: { create: CreateBody; patch: PatchBody; list: ListQuery; wire: Wire };
  toWire(e: Entity): Static<Wire>;
  create(tenantId: string, body: Static<CreateBody>): Promise<Entity>;
  list(
    tenantId: string,
    page: { offset: number; limit: number },
    query: Static<ListQuery>,
  ): Promise<{ items: Entity[]; total: number }>;
  get(tenantId: string, id: string): Promise<Entity>;
  update(tenantId: string, id: string, body: Static<PatchBody>): Promise<Entity>;
  remove(tenantId: string, id: string): Promise<void>;
}

const oneOf = (wire: TSchema, codes: number[]) => ({ 200: wire, ...errorResponses(...codes) }) as const;

/** Create, list (paged), read, change and delete routes of one enrollment resource, in that order. */
export const enrollmentResourceRoutes = <
  Entity extends { id: string },
  CreateBody extends TSchema,
  PatchBody extends TSchema,
  ListQuery extends TSchema,
  Wire extends TSchema,
>(
  app: App,
  tags: string[],
  r: EnrollmentResource<Entity, CreateBody, PatchBody, ListQuery, Wire>,
) => {
  const { path, summaries, schemas } = r;
  // Fastify checks every request and answer against the kind's schemas; the compiler cannot
  // follow generic schemas through the type provider, so they are handed over as plain
  // FastifySchema and the handlers name the checked types (as webhooks-target-routes.ts does).
  const op = (summary: string, schema: FastifySchema): { schema: FastifySchema } => ({
    schema: { tags, summary, ...schema },
  });
  const idOf = (req: { params: unknown }) => (req.params as Static<typeof IdParams>).id;
  app.post(
    path,
    op(summaries.create, {
      body: schemas.create,
      response: { 201: schemas.wire, ...errorResponses(400, 401, 403, 409, 415) },
    }),
    async (req, reply) => {
      const e = await r.create(userOf(req).tenantId, req.body as Static<CreateBody>);
      return reply.code(201).header('Location', `${path}/${e.id}`).send(r.toWire(e));
    },
  );
  app.get(
    path,
    op(summaries.list, {
      querystring: schemas.list,
      response: { 200: Type.Array(schemas.wire), ...errorResponses(400, 401) },
    }),
    async (req, reply) => {
      const query = req.query as Static<ListQuery> & Parameters<typeof parsePage>[0];
      const page = parsePage(query);
      const { items, total } = await r.list(
        userOf(req).tenantId,
        { offset: offsetOf(page), limit: page.perPage },
        query,
      );
      return sendPage(reply, req.url, page, items.map(r.toWire), total, pageFollows(page, total));
    },
  );
  app.get(
    `${path}/:id`,
    op(summaries.read, { params: IdParams, response: oneOf(schemas.wire, [401, 404]) }),
    async (req) => r.toWire(await r.get(userOf(req).tenantId, idOf(req))),
  );
  app.patch(
    `${path}/:id`,
    op(summaries.change, {
      params: IdParams,
      body: schemas.patch,
      response: oneOf(schemas.wire, [400, 401, 403, 404, 409, 415]),
    }),
    async (req) => r.toWire(await r.update(userOf(req).tenantId, idOf(req), req.body as Static<PatchBody>)),
  );
  app.delete(
    `${path}/:id`,
    op(summaries.remove, {
      params: IdParams,
      response: { 204: EmptyBody, ...errorResponses(401, 403, 404) },
    }),
    async (req, reply) => {
      await r.remove(userOf(req).tenantId, idOf(req));
      return reply.code(204).send();
    },
  );
};

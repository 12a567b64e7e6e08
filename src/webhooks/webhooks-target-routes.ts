import type { FastifySchema } from 'fastify';
import { type Static, type TObject, Type } from 'typebox';
import { offsetOf, pageFollows, parsePage, sendPage } from '../core/pagination.js';
import { EmptyBody, errorResponses, PagingQuery } from '../http/schemas-common.js';
import { type App, userOf } from '../http/types.js';
import { IdParams } from './webhooks-schemas.js';
import type { TargetBase } from './webhooks-target-repo.js';

/** An operation's OpenAPI words. */
interface Words {
  summary: string;
  description?: string;
}

/** What the shared routes need of a kind's service (its own names adapted by targetRoutesService). */
export interface TargetRoutesService<T extends TargetBase, Input> {
  create(tenantId: string, input: Input): Promise<{ target: T; secret: string }>;
  list(tenantId: string, q: { offset: number; limit: number }): Promise<{ targets: T[]; total: number }>;
  get(tenantId: string, id: string): Promise<T>;
  update(tenantId: string, id: string, patch: Partial<Input>): Promise<T>;
  remove(tenantId: string, id: string): Promise<void>;
  rotateSecret(tenantId: string, id: string): Promise<{ target: T; secret: string }>;
}

type Answer<K extends string, T> = Record<K, T> & { secret: string };

/**
 * The shared routes' view of a kind's service, whose answers name the target `key` (`hook`,
 * `subscription`) and its list `key` + `s`.
 */
export const targetRoutesService = <K extends string, T extends TargetBase, Input>(
  key: K,
  s: {
    create(tenantId: string, input: Input): Promise<Answer<K, T>>;
    list(
      tenantId: string,
      q: { offset: number; limit: number },
    ): Promise<Record<`${K}s`, T[]> & { total: number }>;
    get(tenantId: string, id: string): Promise<T>;
    update(tenantId: string, id: string, patch: Partial<Input>): Promise<T>;
    remove(tenantId: string, id: string): Promise<void>;
    rotateSecret(tenantId: string, id: string): Promise<Answer<K, T>>;
  },
): TargetRoutesService<T, Input> => {
  const listKey = `${key}s` as `${K}s`;
  const withTarget = (a: Answer<K, T>) => ({ target: a[key], secret: a.secret });
  return {
    create: async (tenantId, input) => withTarget(await s.create(tenantId, input)),
    list: async (tenantId, q) => {
      const r = await s.list(tenantId, q);
      const lists: Record<`${K}s`, T[]> = r;
      return { targets: lists[listKey], total: r.total };
    },
    get: s.get,
    update: s.update,
    remove: s.remove,
    rotateSecret: async (tenantId, id) => withTarget(await s.rotateSecret(tenantId, id)),
  };
};

export interface TargetRoutesSpec<
  T extends TargetBase,
  Input,
  CreateBody extends TObject,
  PatchBody extends TObject,
  Wire extends TObject,
  WithSecret extends TObject,
> {
  base: string;
  tags: string[];
  words: { create: Words; list: Words; get: Words; update: Words; remove: Words; rotateSecret: Words };
  /** Error statuses of DELETE (allocation webhooks add 409: in use). */
  removeErrors: number[];
  createBody: CreateBody;
  patchBody: PatchBody;
  wire: Wire;
  withSecret: WithSecret;
  toWire(t: T): Static<Wire>;
  toInput(body: Static<CreateBody>): Input;
  toPatch(body: Static<PatchBody>): Partial<Input>;
  service: TargetRoutesService<T, Input>;
}

const PagingQueryObject = Type.Object(PagingQuery);

const described = (w: Words) => ({
  summary: w.summary,
  ...(w.description === undefined ? {} : { description: w.description }),
});

/**
 * The management routes both webhook kinds share, registered in this order: create (201 with
 * the secret and a Location), paged list (oldest first), read, change, delete, and secret
 * rotation (the only other answer with the secret). A kind adds its own routes after these.
 */
export const targetRoutes = <
  T extends TargetBase,
  Input,
  CreateBody extends TObject,
  PatchBody extends TObject,
  Wire extends TObject,
  WithSecret extends TObject,
>(
  app: App,
  spec: TargetRoutesSpec<T, Input, CreateBody, PatchBody, Wire, WithSecret>,
): void => {
  const { base, tags, words, service } = spec;
  // The schemas are the kind's, and Fastify checks every request and answer against them; the
  // compiler cannot follow generic schemas through the type provider, so the schemas are handed
  // over as plain FastifySchema and the handlers name the checked types themselves.
  const op = (w: Words, schema: FastifySchema): { schema: FastifySchema } => ({
    schema: { tags, ...described(w), ...schema },
  });
  const idOf = (req: { params: unknown }) => (req.params as Static<typeof IdParams>).id;
  const withSecret = (r: { target: T; secret: string }) => ({ ...spec.toWire(r.target), secret: r.secret });

  app.post(
    base,
    op(words.create, {
      body: spec.createBody,
      response: { 201: spec.withSecret, ...errorResponses(400, 401, 403, 409, 415) },
    }),
    async (req, reply) => {
      const created = await service.create(
        userOf(req).tenantId,
        spec.toInput(req.body as Static<CreateBody>),
      );
      return reply.code(201).header('Location', `${base}/${created.target.id}`).send(withSecret(created));
    },
  );

  app.get(
    base,
    op(words.list, {
      querystring: PagingQueryObject,
      response: { 200: Type.Array(spec.wire), ...errorResponses(400, 401) },
    }),
    async (req, reply) => {
      const page = parsePage(req.query as Static<typeof PagingQueryObject>);
      const { targets, total } = await service.list(userOf(req).tenantId, {
        offset: offsetOf(page),
        limit: page.perPage,
      });
      return sendPage(reply, req.url, page, targets.map(spec.toWire), total, pageFollows(page, total));
    },
  );

  app.get(
    `${base}/:id`,
    op(words.get, {
      params: IdParams,
      response: { 200: spec.wire, ...errorResponses(401, 404) },
    }),
    async (req) => spec.toWire(await service.get(userOf(req).tenantId, idOf(req))),
  );

  app.patch(
    `${base}/:id`,
    op(words.update, {
      params: IdParams,
      body: spec.patchBody,
      response: { 200: spec.wire, ...errorResponses(400, 401, 403, 404, 415) },
    }),
    async (req) =>
      spec.toWire(
        await service.update(userOf(req).tenantId, idOf(req), spec.toPatch(req.body as Static<PatchBody>)),
      ),
  );

  app.delete(
    `${base}/:id`,
    op(words.remove, {
      params: IdParams,
      response: { 204: EmptyBody, ...errorResponses(...spec.removeErrors) },
    }),
    async (req, reply) => {
      await service.remove(userOf(req).tenantId, idOf(req));
      return reply.code(204).send();
    },
  );

  app.post(
    `${base}/:id/secret`,
    op(words.rotateSecret, {
      params: IdParams,
      response: { 200: spec.withSecret, ...errorResponses(401, 403, 404) },
    }),
    async (req) => withSecret(await service.rotateSecret(userOf(req).tenantId, idOf(req))),
  );
};

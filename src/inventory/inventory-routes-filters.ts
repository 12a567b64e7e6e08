import { Type } from 'typebox';
import { AppError } from '../core/errors.js';
import { emptyListRoute } from '../http/empty-list-route.js';
import { errorResponses } from '../http/schemas-common.js';
import type { App } from '../http/types.js';

const FILTERS = '/api/management/v2/inventory/filters';
const tags = ['Inventory'];

const errors = {
  filterNotFound: () => new AppError('INVENTORY_FILTER_NOT_FOUND', 404, 'filter not found'),
  unsupported: () =>
    new AppError(
      'INVENTORY_SAVED_FILTERS_UNSUPPORTED',
      404,
      'saved filters (dynamic groups) are not supported: use static groups, or the filters of a search',
    ),
};

/**
 * Saved filters (Mender's dynamic groups) are an enterprise feature of Mender's inventory, and
 * Gatehouse has none: the list is empty and every id is unknown, which is what Mender's web UI
 * expects from a server without them (it lists no dynamic groups). Creating one answers 404, as
 * Mender's open-source inventory does (it has no such route), with a message that says why.
 */
export const inventorySavedFilterRoutes = () => async (app: App) => {
  emptyListRoute(app, FILTERS, {
    tags,
    summary: 'Saved filters (dynamic groups): none',
    description: 'Always an empty list: Gatehouse has no saved filters (an enterprise feature of Mender).',
  });

  app.post(
    FILTERS,
    {
      schema: {
        tags,
        summary: 'Save a filter (dynamic group): not supported (404)',
        body: Type.Object({
          name: Type.Optional(Type.String({ maxLength: 1024 })),
          terms: Type.Optional(
            Type.Array(Type.Object({}, { additionalProperties: true, maxProperties: 16 }), { maxItems: 100 }),
          ),
        }),
        response: errorResponses(400, 401, 403, 404),
      },
    },
    async () => {
      throw errors.unsupported();
    },
  );

  const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

  app.get(
    `${FILTERS}/:id`,
    {
      schema: {
        tags,
        summary: 'A saved filter: none exists (404)',
        params: IdParams,
        response: errorResponses(401, 404),
      },
    },
    async () => {
      throw errors.filterNotFound();
    },
  );

  app.delete(
    `${FILTERS}/:id`,
    {
      schema: {
        tags,
        summary: 'Delete a saved filter: none exists (404)',
        params: IdParams,
        response: errorResponses(401, 403, 404),
      },
    },
    async () => {
      throw errors.filterNotFound();
    },
  );
};

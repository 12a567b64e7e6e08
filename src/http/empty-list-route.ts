import { Type } from 'typebox';
import { parsePage } from '../core/pagination.js';
import { errorResponses } from './schemas-common.js';
import type { App } from './types.js';

/**
 * A Mender list of a feature Gatehouse does not have: always empty, so that Mender's web UI shows
 * nothing instead of an error. Its paging is still checked as every list's (a bad `page` or
 * `per_page` is a 400).
 */
export const emptyListRoute = (
  app: App,
  url: string,
  doc: { tags: string[]; summary: string; description: string },
): void => {
  app.get(
    url,
    {
      schema: {
        ...doc,
        querystring: Type.Object({
          page: Type.Optional(Type.String({ maxLength: 10 })),
          per_page: Type.Optional(Type.String({ maxLength: 10 })),
        }),
        response: { 200: Type.Array(Type.Object({})), ...errorResponses(400, 401) },
      },
    },
    async (req) => {
      parsePage(req.query);
      return [];
    },
  );
};

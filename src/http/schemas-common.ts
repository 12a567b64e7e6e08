import { Type } from 'typebox';

/** Mender's error body (docs/compat/mender-management.md#conventions). */
export const ErrorBody = Type.Object(
  { error: Type.String(), request_id: Type.Optional(Type.String()) },
  { $id: 'Error', additionalProperties: true },
);

/** Standard error responses to spread into a route's `response` schema. */
export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, Type.Ref('Error')])) as Record<number, ReturnType<typeof Type.Ref>>;

/** No content (201/202/204 answers). */
export const EmptyBody = Type.Unsafe<void>({ description: 'no content' });

export const Uuid = Type.String({ maxLength: 64, description: 'UUID' });

export const PagingQuery = {
  page: Type.Optional(
    Type.String({ maxLength: 10, pattern: '^[0-9]*$', description: 'page number, from 1' }),
  ),
  per_page: Type.Optional(
    Type.String({ maxLength: 10, pattern: '^[0-9]*$', description: 'items per page, 1..500' }),
  ),
};

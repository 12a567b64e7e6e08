import { AppError } from '../core/errors.js';

/** Tags per device, Mender's default `limit_tags`. */
export const MAX_TAGS = 20;
/** Attribute values a `$regex` filter may have to test; beyond, the search must be narrowed. */
export const MAX_REGEX_CANDIDATES = 100_000;

export const inventoryErrors = {
  deviceNotFound: () => new AppError('INVENTORY_DEVICE_NOT_FOUND', 404, 'device not found'),
  groupNotFound: () => new AppError('INVENTORY_GROUP_NOT_FOUND', 404, 'group not found'),
  concurrentChange: () => new AppError('INVENTORY_CONFLICT', 409, 'devices changed meanwhile; try again'),
  etagMismatch: () => new AppError('INVENTORY_ETAG_MISMATCH', 412, 'ETag does not match'),
  tooManyTags: () =>
    new AppError(
      'INVENTORY_TOO_MANY_TAGS',
      400,
      `the number of attributes in the scope is above the limit (${MAX_TAGS})`,
    ),
  tooManyCandidates: () =>
    new AppError(
      'INVENTORY_REGEX_TOO_BROAD',
      400,
      `a $regex filter may test at most ${MAX_REGEX_CANDIDATES} values; narrow the search with other filters`,
    ),
};

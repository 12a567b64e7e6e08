import { AppError, commonErrors } from '../core/errors.js';

export const devauthErrors = {
  /** The one answer a device gets for every "not (yet) admitted" case (Mender's wording). */
  unauthorized: (detail: string) =>
    new AppError('DEVAUTH_UNAUTHORIZED', 401, 'dev auth: unauthorized', { detail }),
  badAuthRequest: (message: string) => new AppError('DEVAUTH_BAD_REQUEST', 400, message),
  missingSignature: () => new AppError('DEVAUTH_MISSING_SIGNATURE', 400, 'missing request signature header'),
  badSignature: () => new AppError('DEVAUTH_BAD_SIGNATURE', 401, 'signature verification failed'),
  deviceNotFound: () => new AppError('DEVAUTH_DEVICE_NOT_FOUND', 404, 'device not found'),
  authSetNotFound: () => new AppError('DEVAUTH_AUTHSET_NOT_FOUND', 404, 'authentication set not found'),
  tokenNotFound: () => new AppError('DEVAUTH_TOKEN_NOT_FOUND', 404, 'token not found'),
  badStatus: () =>
    new AppError(
      'DEVAUTH_BAD_STATUS',
      400,
      'incorrect device status: must be one of accepted, rejected, pending',
    ),
  badTransition: (from: string, to: string) =>
    new AppError(
      'DEVAUTH_BAD_TRANSITION',
      400,
      `dev auth: bad request: cannot change status from ${from} to ${to}`,
    ),
  limitReached: (limit: number) =>
    new AppError(
      'DEVAUTH_LIMIT_REACHED',
      422,
      `maximum number of accepted devices reached (max_devices = ${limit})`,
    ),
  identityExists: (device: Record<string, unknown>) =>
    new AppError('DEVAUTH_IDENTITY_EXISTS', 409, 'device with the same identity data already exists', {
      body: device,
    }),
  /** A concurrent request changed the device between this request's checks and its write; retry. */
  concurrentChange: () =>
    new AppError('DEVAUTH_CONCURRENT_CHANGE', 409, 'the device was changed by a concurrent request, retry'),
  keyInUse: (deviceId: string) =>
    new AppError('DEVAUTH_KEY_IN_USE', 409, `public key is already in use by device ${deviceId}`),
  /** Beyond the rate of auth requests from unknown identities (docs/limits.md). */
  tooManyNewDevices: (retryAfterSeconds: number, detail: string) =>
    commonErrors.tooManyRequests(
      'DEVAUTH_TOO_MANY_REQUESTS',
      'dev auth: too many auth requests from unknown devices, retry later',
      retryAfterSeconds,
      detail,
    ),
  /** The tenant holds its cap of pending auth sets: nothing was stored (docs/limits.md). */
  pendingCapReached: (retryAfterSeconds: number) =>
    commonErrors.tooManyRequests(
      'DEVAUTH_PENDING_CAP_REACHED',
      'dev auth: too many pending devices, retry later',
      retryAfterSeconds,
    ),
  unknownLimit: (name: string) => new AppError('DEVAUTH_UNKNOWN_LIMIT', 400, `unsupported limit ${name}`),
};

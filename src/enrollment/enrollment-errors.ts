import { AppError } from '../core/errors.js';

export const enrollmentErrors = {
  /** A device refused at admission: Mender's one 401 for every not-admitted case; the reason is logged. */
  refused: (detail: string) => new AppError('ENROLLMENT_REFUSED', 401, 'dev auth: unauthorized', { detail }),
  badRequest: (message: string) => new AppError('ENROLLMENT_BAD_REQUEST', 400, message),
  groupNotFound: () => new AppError('ENROLLMENT_GROUP_NOT_FOUND', 404, 'enrollment group not found'),
  individualNotFound: () =>
    new AppError('ENROLLMENT_INDIVIDUAL_NOT_FOUND', 404, 'individual enrollment not found'),
  registrationNotFound: () =>
    new AppError('ENROLLMENT_REGISTRATION_NOT_FOUND', 404, 'no registration record for this device'),
  caNotFound: () => new AppError('ENROLLMENT_CA_NOT_FOUND', 400, 'ca_id names no CA of this tenant'),
  webhookNotFound: () =>
    new AppError(
      'ENROLLMENT_WEBHOOK_NOT_FOUND',
      400,
      'allocation_webhook_id names no allocation webhook of this tenant',
    ),
  conflict: (message: string) => new AppError('ENROLLMENT_CONFLICT', 409, message),
  tooMany: (what: string, max: number) =>
    new AppError('ENROLLMENT_TOO_MANY', 409, `a tenant may have at most ${max} ${what}`),
};

import { AppError } from '../core/errors.js';

export const webhooksErrors = {
  subscriptionNotFound: () => new AppError('WEBHOOK_NOT_FOUND', 404, 'webhook not found'),
  allocationWebhookNotFound: () =>
    new AppError('ALLOCATION_WEBHOOK_NOT_FOUND', 404, 'allocation webhook not found'),
  badUrl: (message: string) => new AppError('WEBHOOK_BAD_URL', 400, `invalid webhook url: ${message}`),
  badEventTypes: (message: string) => new AppError('WEBHOOK_BAD_EVENT_TYPES', 400, message),
  badRequest: (message: string) => new AppError('WEBHOOK_BAD_REQUEST', 400, message),
  tooMany: (max: number) =>
    new AppError('WEBHOOK_LIMIT', 409, `a tenant may have at most ${max} webhooks of each kind`),
  inUse: () =>
    new AppError(
      'ALLOCATION_WEBHOOK_IN_USE',
      409,
      'allocation webhook is referenced (by an enrollment group); remove the reference first',
    ),
};

import { AppError } from '../core/errors.js';

// Magistrala's SDK reads "error" (or "message") from error bodies; every bootstrap error carries
// both, with the same text, beside our request_id (docs/adr/0008-bootstrap.md).
const err = (
  code: string,
  status: number,
  message: string,
  opts: { detail?: string; headers?: Record<string, string> } = {},
) => new AppError(code, status, message, { ...opts, body: { message } });

/** One answer for an unknown external id, a wrong key and a held config: no oracle. */
export const REFUSED_MESSAGE = 'bootstrap refused: unknown external id, wrong key or held config';

export const bootstrapErrors = {
  refused: (detail: string) => err('BOOTSTRAP_REFUSED', 403, REFUSED_MESSAGE, { detail }),
  tooManyChallenges: (retryAfterSeconds: number) =>
    err('BOOTSTRAP_TOO_MANY_CHALLENGES', 429, 'too many bootstrap challenges, retry later', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  throttled: (retryAfterSeconds: number) =>
    err('BOOTSTRAP_THROTTLED', 429, 'too many failed bootstrap attempts, retry later', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  missingKey: () =>
    err('BOOTSTRAP_MISSING_KEY', 400, 'missing or malformed Authorization: expected "Client <external key>"'),
  missingExternalId: () => err('BOOTSTRAP_MISSING_ID', 400, 'missing external id'),
  secureDisabled: () =>
    err(
      'BOOTSTRAP_SECURE_DISABLED',
      404,
      'secure bootstrap is not enabled (set GATEHOUSE_BOOTSTRAP_ENCRYPT_KEY on the server)',
    ),
  domainNotFound: () => err('BOOTSTRAP_DOMAIN_NOT_FOUND', 404, 'domain not found'),
  configNotFound: () => err('BOOTSTRAP_CONFIG_NOT_FOUND', 404, 'bootstrap config not found'),
  noConfigForDevice: () =>
    err('BOOTSTRAP_NO_DEVICE_CONFIG', 404, 'no bootstrap config is linked to this device, or it is held'),
  channelNotFound: () => err('BOOTSTRAP_CHANNEL_NOT_FOUND', 404, 'channel not found'),
  unknownChannels: (ids: string[]) =>
    err('BOOTSTRAP_UNKNOWN_CHANNELS', 400, `unknown channel ids: ${ids.slice(0, 5).join(', ')}`),
  deviceNotFound: () => err('BOOTSTRAP_DEVICE_NOT_FOUND', 400, 'device not found in this tenant'),
  unsupportedMediaType: () =>
    err('BOOTSTRAP_CONTENT_TYPE', 415, "unsupported content type, expected 'application/json'"),
  badRequest: (message: string) => err('BOOTSTRAP_BAD_REQUEST', 400, message),
  conflict: (message: string) => err('BOOTSTRAP_CONFLICT', 409, message),
  badTemplate: (message: string) =>
    err('BOOTSTRAP_BAD_TEMPLATE', 400, `invalid content template: ${message}`),
};

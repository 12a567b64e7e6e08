import { AppError, commonErrors } from '../core/errors.js';

export const usersErrors = {
  /** Same answer for an unknown user and a wrong password. */
  loginFailed: () => new AppError('USERS_LOGIN_FAILED', 401, 'unauthorized'),
  /** The same for an unknown user and a wrong password too (docs/limits.md). */
  tooManyFailedLogins: (retryAfterSeconds: number) =>
    commonErrors.tooManyRequests(
      'USERS_TOO_MANY_FAILED_LOGINS',
      'too many failed logins, retry later',
      retryAfterSeconds,
    ),
  missingBasicAuth: () => new AppError('USERS_NO_BASIC_AUTH', 401, 'invalid or missing auth header'),
  badEmail: () =>
    new AppError('USERS_BAD_EMAIL', 400, 'email: must be a valid email address of at most 254 characters'),
  badPassword: () => new AppError('USERS_BAD_PASSWORD', 422, 'password: must be 8 to 256 characters long'),
  passwordLikeEmail: () =>
    new AppError('USERS_PASSWORD_LIKE_EMAIL', 422, 'password: must not be the same as the email'),
  badRole: () => new AppError('USERS_BAD_ROLE', 400, 'role: must be one of admin, readonly'),
  duplicateEmail: () => new AppError('USERS_DUPLICATE_EMAIL', 422, 'user with the same email already exists'),
  /** Changing one's own password needs the current one (a stolen session must not take the account). */
  currentPasswordMismatch: () =>
    new AppError('USERS_CURRENT_PASSWORD_MISMATCH', 422, 'current_password: missing or does not match'),
  notFound: () => new AppError('USERS_NOT_FOUND', 404, 'user not found'),
  tokenNotFound: () => new AppError('USERS_TOKEN_NOT_FOUND', 404, 'token not found'),
  badTokenName: () => new AppError('USERS_BAD_TOKEN_NAME', 400, 'name: must be 1 to 100 characters'),
  badExpiry: () =>
    new AppError('USERS_BAD_EXPIRY', 400, 'expires_in: must be between 0 and 31536000 seconds'),
  duplicateTokenName: () =>
    new AppError('USERS_DUPLICATE_TOKEN_NAME', 409, 'Personal Access Token with a given name already exists'),
  tooManyTokens: (max: number) =>
    new AppError('USERS_TOO_MANY_TOKENS', 422, `maximum number of personal access tokens reached (${max})`),
  adminOnly: () => new AppError('USERS_ADMIN_ONLY', 403, 'forbidden: this operation requires the admin role'),
  readOnly: () => new AppError('USERS_READ_ONLY', 403, 'forbidden: read-only user'),
};

import { ApiError } from './api';

/** An API error in words a person understands, with what to do next. */
export const describeError = (e: unknown): string => {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  const detail = e.message;
  switch (e.status) {
    case 0:
      return detail;
    case 400:
      return `The server did not accept this: ${detail}`;
    case 401:
      return 'Your session has ended. Log in again.';
    case 403:
      return 'Your account may not do this (read-only users can look but not change).';
    case 404:
      return `Not found: it may have been removed, or belong to another tenant. (${detail})`;
    case 409:
      return `Conflict: ${detail}`;
    case 413:
      return 'This is too large for the server to accept.';
    case 415:
      return 'The server does not accept this kind of content here.';
    case 429:
      return `Too many attempts. Try again${e.retryAfterS ? ` in ${e.retryAfterS} s` : ' shortly'}.`;
    case 503:
      return `The server's database is not answering. Try again${e.retryAfterS ? ` in ${e.retryAfterS} s` : ' shortly'}.`;
    default:
      return e.status >= 500
        ? `The server failed (${e.status}). Request id ${e.requestId ?? 'unknown'}: give it to your administrator.`
        : `${detail} (HTTP ${e.status})`;
  }
};

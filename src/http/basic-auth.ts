import { nulRefused } from './nul-guard.js';

const BASIC = /^basic[ ]+([A-Za-z0-9+/=]+)\s*$/i;
export const MAX_BASIC_AUTH_LENGTH = 1024;

/**
 * The user and password of an `Authorization: Basic` header, or undefined when there is none or
 * it is malformed. The decoded text is the one place a NUL can hide in a header (base64 carries
 * any byte), so a NUL is a 400 here, before anything looks the user up.
 */
export const parseBasicAuth = (header: unknown): { user: string; password: string } | undefined => {
  if (typeof header !== 'string' || header.length > MAX_BASIC_AUTH_LENGTH) return undefined;
  const m = BASIC.exec(header);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) return undefined;
  if (decoded.includes('\u0000')) throw nulRefused();
  return { user: decoded.slice(0, sep), password: decoded.slice(sep + 1) };
};

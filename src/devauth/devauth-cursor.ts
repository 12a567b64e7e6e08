import { isUuid } from '../core/ids.js';
import { devauthErrors } from './devauth-errors.js';

// Keyset pagination of the device list (docs/console-api.md): `after=<cursor>` answers the
// devices that come after the one the cursor names in the list's order (creation time, then id),
// an index range whatever the depth, where `page=N` skips (N - 1) × per_page rows. The cursor is
// opaque to clients: base64url of "<created_at ms>.<device id>" of the last device of a page.

export interface DeviceCursor {
  createdAt: number;
  id: string;
}

export const encodeCursor = (c: DeviceCursor): string =>
  Buffer.from(`${c.createdAt}.${c.id}`, 'utf8').toString('base64url');

/** The cursor an `after` parameter carries; '' is the start of the list. */
export const decodeCursor = (text: string): DeviceCursor | null => {
  if (text === '') return null;
  const bad = () => devauthErrors.badAuthRequest('after: not a cursor this server gave out');
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(text)) throw bad();
  const m = /^(\d{1,16})\.(.+)$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  const createdAt = Number(m?.[1]);
  const id = m?.[2] ?? '';
  if (!m || !Number.isSafeInteger(createdAt) || !isUuid(id)) throw bad();
  return { createdAt, id };
};

import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { ifMatchNames } from '../core/etag.js';
import { newId } from '../core/ids.js';
import { type Db, isForeignKeyViolation } from '../store/store.js';
import {
  readSettings,
  replaceSettingsIf,
  type SettingsOwner,
  upsertSettings,
} from './users-settings-repo.js';

// Settings the web UI keeps on the server (Mender's useradm `settings`, `settings/me`): one JSON
// object per tenant and one per user, replaced whole. An ETag (random per write) guards a
// replacement sent with If-Match: it succeeds only if the settings are still the ones read, which
// the UPDATE itself checks, so of two writers with the same If-Match one wins and one gets 412.

/** Largest settings object, as JSON text. */
export const MAX_SETTINGS_BYTES = 64 * 1024;

export const settingsErrors = {
  tooLarge: () =>
    new AppError('USERS_SETTINGS_TOO_LARGE', 400, `settings: at most ${MAX_SETTINGS_BYTES} bytes of JSON`),
  etagMismatch: () => new AppError('USERS_SETTINGS_ETAG_MISMATCH', 412, "ETag doesn't match"),
  /** The user was deleted meanwhile. */
  userGone: () => new AppError('USERS_NOT_FOUND', 404, 'user not found'),
};

export interface UserSettings {
  /** The settings (`{}` when none were stored) and their ETag, quoted (none when never stored). */
  get(owner: SettingsOwner): Promise<{ settings: Record<string, unknown>; etag?: string }>;
  /** Replaces the settings; with `ifMatch`, only while it names the current ETag (else 412). */
  set(owner: SettingsOwner, settings: Record<string, unknown>, ifMatch?: string): Promise<void>;
}

export const createUserSettings = (deps: { db: Db; clock: Clock }): UserSettings => {
  const { db, clock } = deps;
  return {
    async get(owner) {
      const row = await readSettings(db, owner);
      if (!row) return { settings: {} };
      return { settings: JSON.parse(row.body) as Record<string, unknown>, etag: `"${row.etag}"` };
    },

    async set(owner, settings, ifMatch) {
      const body = JSON.stringify(settings);
      if (Buffer.byteLength(body) > MAX_SETTINGS_BYTES) throw settingsErrors.tooLarge();
      const next = { body, etag: newId() };
      try {
        if (ifMatch === undefined) {
          await upsertSettings(db, owner, next, clock.nowMs());
          return;
        }
        const current = await readSettings(db, owner);
        if (!current || !ifMatchNames(ifMatch, current.etag)) throw settingsErrors.etagMismatch();
        if (!(await replaceSettingsIf(db, owner, current.etag, next, clock.nowMs())))
          throw settingsErrors.etagMismatch();
      } catch (e) {
        if (isForeignKeyViolation(e)) throw settingsErrors.userGone();
        throw e;
      }
    },
  };
};

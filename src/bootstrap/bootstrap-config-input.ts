import { AppError } from '../core/errors.js';
import { isUuid } from '../core/ids.js';
import { type Executor, isForeignKeyViolation, isUniqueViolation } from '../store/store.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import { existingChannelIds } from './bootstrap-repo-channels.js';
import { otherConfigHas } from './bootstrap-repo-configs.js';
import { parseTemplate, TemplateError } from './bootstrap-template.js';
import type { TemplateMode } from './bootstrap-types.js';

/** Validation shared by the config use cases: channels, templates, ids and conflicts. */

/** Empty strings mean "not set", as in Magistrala (Go zero values). */
export const orNull = (s: string | undefined | null): string | null =>
  s === undefined || s === null || s === '' ? null : s;

export const normaliseClientId = (id: string): string => {
  if (!isUuid(id)) throw bootstrapErrors.badRequest('client_id must be a UUID');
  return id.toLowerCase();
};

export const checkTemplate = (mode: TemplateMode, content: string | null): void => {
  if (mode === 'none') return;
  try {
    parseTemplate(content ?? '');
  } catch (e) {
    if (e instanceof TemplateError) throw bootstrapErrors.badTemplate(e.message);
    throw e;
  }
};

/** Deduplicated channel ids, every one a channel of the tenant, else 400 naming the unknown ones. */
export const checkChannels = async (ex: Executor, tenantId: string, ids: string[]): Promise<string[]> => {
  const unique = [...new Set(ids)];
  if (unique.some((id) => id === '')) throw bootstrapErrors.badRequest('empty channel id');
  const known = await existingChannelIds(ex, tenantId, unique);
  const unknown = unique.filter((id) => !known.has(id));
  if (unknown.length > 0) throw bootstrapErrors.unknownChannels(unknown);
  return unique;
};

/**
 * Turns a unique violation on bootstrap_configs into a 409 saying what collided (looked up after
 * the failed transaction, so the common path pays nothing for it). A foreign-key violation means
 * the device or a channel was removed between the checks and the write: answered as if the
 * request had come after the removal.
 */
export const explainConflict = async (
  e: unknown,
  ex: Executor,
  c: { tenantId: string; id: string; externalId?: string; name?: string | null; deviceId?: string | null },
): Promise<never> => {
  if (isForeignKeyViolation(e)) {
    if (c.deviceId) throw bootstrapErrors.deviceNotFound();
    throw bootstrapErrors.badRequest('a channel of the config was removed meanwhile');
  }
  if (!isUniqueViolation(e)) throw e;
  const hit = async (
    col: 'id' | 'external_id' | 'name' | 'device_id',
    value: string | null | undefined,
    scoped: boolean,
  ) => {
    if (value === undefined || value === null) return false;
    return otherConfigHas(ex, { col, value, exceptId: c.id, tenantId: scoped ? c.tenantId : undefined });
  };
  if (await hit('external_id', c.externalId, true))
    throw bootstrapErrors.conflict('a config with this external_id already exists in this domain');
  if (await hit('name', c.name, true))
    throw bootstrapErrors.conflict('a config with this name already exists in this domain');
  if (await hit('device_id', c.deviceId, true))
    throw bootstrapErrors.conflict('the device is already linked to another config');
  throw bootstrapErrors.conflict('client_id is already in use');
};

/** explainConflict's message for a unique violation (for reports that go on), else rethrows. */
export const conflictReason = async (
  e: unknown,
  ex: Executor,
  c: Parameters<typeof explainConflict>[2],
): Promise<string> => {
  try {
    await explainConflict(e, ex, c);
  } catch (x) {
    if (x instanceof AppError) return x.publicMessage;
    throw x;
  }
  return 'conflict';
};

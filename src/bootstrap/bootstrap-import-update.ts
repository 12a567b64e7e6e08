import { isAppError } from '../core/errors.js';
import { type EventPayloads, type EventTypeWith, type PayloadWithout, recordEvent } from '../events/index.js';
import { isForeignKeyViolation, isUniqueViolation } from '../store/store.js';
import { checkChannels, checkTemplate, conflictReason } from './bootstrap-config-input.js';
import type { ImportField } from './bootstrap-import.js';
import type { DesiredConfig, ImportRowResult } from './bootstrap-import-check.js';
import type { ImportDeps } from './bootstrap-import-create.js';
import { type ConfigPatch, findConfig, updateConfigRow } from './bootstrap-repo-configs.js';
import { replaceConnections, setConnectionsActive } from './bootstrap-repo-connections.js';
import type { ConfigRecord } from './bootstrap-types.js';

class ConfigVanished extends Error {}

/**
 * `bootstrap import --update`: changes an existing config to match its row (the fields that
 * differ, never its secrets), in one transaction with its events.
 */
export const createImportUpdate = (deps: ImportDeps) => {
  const { clock, secrets } = deps;
  const db = deps.store.db;

  const updateOne = async (
    tenantId: string,
    d: DesiredConfig,
    e: ConfigRecord,
    fields: ImportField[],
  ): Promise<ImportRowResult> => {
    const base = { line: d.line, externalId: d.externalId, clientId: e.config.id };
    const has = (f: ImportField) => fields.includes(f);
    const c = e.config;
    const id = c.id;
    try {
      checkTemplate(
        has('content_template') ? d.contentTemplate : c.contentTemplate,
        has('content') ? d.content : c.content,
      );
      if (has('device_id') && d.deviceId !== null && !(await deps.devices.exists(tenantId, d.deviceId)))
        return { ...base, outcome: 'invalid', reason: 'device not found in this tenant' };
      const patch: ConfigPatch = {
        ...(has('name') ? { name: d.name } : {}),
        ...(has('content') ? { content: d.content } : {}),
        ...(has('content_template') ? { content_template: d.contentTemplate } : {}),
        ...(has('client_cert') ? { client_cert: d.clientCert } : {}),
        ...(has('ca_cert') ? { ca_cert: d.caCert } : {}),
        ...(has('device_id') ? { device_id: d.deviceId } : {}),
        ...(has('state') ? { state: d.state } : {}),
        ...(has('held') ? { held: d.held ? 1 : 0 } : {}),
        ...(has('client_key')
          ? {
              client_key_sealed:
                d.clientKey === null ? null : secrets.seal({ tenantId, id }, 'client_key', d.clientKey),
            }
          : {}),
      };
      const state = has('state') ? d.state : c.state;
      await db.transaction().execute(async (tx) => {
        if (!(await findConfig(tx, tenantId, id))) throw new ConfigVanished();
        const nowMs = clock.nowMs();
        await updateConfigRow(tx, tenantId, id, patch, nowMs);
        const event = <T extends EventTypeWith<'client_id' | 'via'>>(
          type: T,
          payload: PayloadWithout<T, 'client_id' | 'via'>,
        ) =>
          recordEvent(tx, {
            tenantId,
            type,
            deviceId: has('device_id') ? (d.deviceId ?? c.deviceId) : c.deviceId,
            // Omit<P, …> plus the omitted fields is P, which the compiler cannot see for a generic P.
            payload: { client_id: id, ...payload, via: 'import' } as EventPayloads[T],
            nowMs,
          });
        let delta = {};
        if (has('channels')) {
          const channels = await checkChannels(tx, tenantId, d.channels);
          delta = await replaceConnections(tx, tenantId, id, channels, state === 1, nowMs);
        }
        const changed = fields.filter((f) => f !== 'state' && f !== 'held');
        if (changed.length > 0) await event('bootstrap.config_updated', { fields: changed, ...delta });
        if (has('state')) {
          await setConnectionsActive(tx, id, state === 1, nowMs);
          await event('bootstrap.state_changed', { from: c.state, state });
        }
        if (has('held')) await event('bootstrap.hold_changed', { from: c.held, held: d.held === true });
      });
      return { ...base, outcome: 'updated', fields };
    } catch (x) {
      if (x instanceof ConfigVanished)
        return { ...base, outcome: 'conflicting', reason: 'the config was removed meanwhile; import again' };
      if (isUniqueViolation(x)) {
        const reason = await conflictReason(x, db, { tenantId, id, name: d.name, deviceId: d.deviceId });
        return { ...base, outcome: 'conflicting', fields, reason };
      }
      if (isAppError(x)) return { ...base, outcome: 'invalid', reason: x.publicMessage };
      if (isForeignKeyViolation(x))
        return { ...base, outcome: 'invalid', reason: 'a channel or device it names was removed meanwhile' };
      throw x;
    }
  };

  return updateOne;
};

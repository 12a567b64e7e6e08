import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { isAppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { type EventType, recordEvent, recordEvents } from '../events/index.js';
import { type Executor, isForeignKeyViolation, isUniqueViolation, type Store } from '../store/store.js';
import { checkChannels, checkTemplate, explainConflict } from './bootstrap-config-input.js';
import type { ImportField, ImportRow } from './bootstrap-import.js';
import {
  type DesiredConfig,
  desiredConfig,
  differingFields,
  duplicatesInFile,
  IMMUTABLE_FIELDS,
} from './bootstrap-import-check.js';
import { existingChannelIds } from './bootstrap-repo-channels.js';
import { type ConfigPatch, findConfig, updateConfigRow } from './bootstrap-repo-configs.js';
import { replaceConnections, setConnectionsActive } from './bootstrap-repo-connections.js';
import {
  channelIdsOfConfigs,
  configsByExternalIds,
  holdersOf,
  insertConfigs,
  insertConnections,
} from './bootstrap-repo-import.js';
import { type BootstrapSecrets, configSecrets } from './bootstrap-secrets.js';
import type { ConfigRecord } from './bootstrap-types.js';

/**
 * `gatehouse bootstrap import` (docs/bootstrap-import.md): makes the tenant's configs match a
 * file, idempotently. Each row is written with its final state (state, connections, event) in
 * the transaction that creates it, never "create, then enable", so a process killed at any point
 * leaves every row either absent or complete, and running the same file again finishes the job.
 * Rows go in batches (one transaction per batch); a batch that a concurrent writer makes collide
 * is retried row by row, so one bad row never costs the others.
 */
export type ImportOutcome = 'created' | 'unchanged' | 'updated' | 'conflicting' | 'invalid';

export interface ImportRowResult {
  line: number;
  externalId: string;
  outcome: ImportOutcome;
  /** The config's id (= client id), when there is one. */
  clientId?: string;
  /** updated / conflicting: the fields that differ(ed), by name (values are never reported). */
  fields?: ImportField[];
  /** conflicting / invalid: why. */
  reason?: string;
}

export interface ImportReport {
  results: ImportRowResult[];
  counts: Record<ImportOutcome, number>;
}

export interface BootstrapImportService {
  /** `update`: existing configs that differ are changed to match their row (not their secrets). */
  importRows(tenantId: string, rows: readonly ImportRow[], opts: { update: boolean }): Promise<ImportReport>;
}

/** Rows per transaction: large enough to amortise a commit, small enough to hold locks briefly. */
export const IMPORT_BATCH_ROWS = 500;

const reasonOf = async (e: unknown, ex: Executor, c: Parameters<typeof explainConflict>[2]) => {
  try {
    await explainConflict(e, ex, c);
  } catch (x) {
    if (isAppError(x)) return x.publicMessage;
    throw x;
  }
  return 'conflict';
};

export const createBootstrapImportService = (deps: {
  store: Store;
  clock: Clock;
  secrets: BootstrapSecrets;
  deviceExists: (tenantId: string, deviceId: string) => Promise<boolean>;
}): BootstrapImportService => {
  const { clock, secrets } = deps;
  const db = deps.store.db;

  /** Why fresh rows cannot be created (by line): a value another config holds, or a missing reference. */
  const checkFresh = async (tenantId: string, fresh: DesiredConfig[]) => {
    const out = new Map<number, { outcome: 'conflicting' | 'invalid'; reason: string }>();
    const defined = (f: (d: DesiredConfig) => string | null | undefined) =>
      fresh.map(f).filter((v): v is string => typeof v === 'string');
    const ids = await holdersOf(
      db,
      tenantId,
      'id',
      defined((d) => d.clientId),
    );
    const names = await holdersOf(
      db,
      tenantId,
      'name',
      defined((d) => d.name),
    );
    const links = await holdersOf(
      db,
      tenantId,
      'device_id',
      defined((d) => d.deviceId),
    );
    const channelIds = [...new Set(fresh.flatMap((d) => d.channels))];
    const channels = new Set<string>();
    for (let i = 0; i < channelIds.length; i += 500) {
      for (const id of await existingChannelIds(db, tenantId, channelIds.slice(i, i + 500))) channels.add(id);
    }
    const devices = new Map<string, boolean>();
    for (const id of new Set(defined((d) => d.deviceId)))
      devices.set(id, await deps.deviceExists(tenantId, id));
    for (const d of fresh) {
      const conflict = (reason: string) => out.set(d.line, { outcome: 'conflicting', reason });
      const invalid = (reason: string) => out.set(d.line, { outcome: 'invalid', reason });
      const unknown = d.channels.filter((c) => !channels.has(c));
      if (unknown.length > 0) invalid(`unknown channel ids: ${unknown.slice(0, 5).join(', ')}`);
      else if (d.deviceId !== null && !devices.get(d.deviceId)) invalid('device not found in this tenant');
      else if (d.clientId !== undefined && ids.has(d.clientId))
        conflict(`client_id is already in use (external_id ${ids.get(d.clientId)})`);
      else if (d.name !== null && names.has(d.name))
        conflict(`name is already in use (external_id ${names.get(d.name)})`);
      else if (d.deviceId !== null && links.has(d.deviceId))
        conflict(`the device is already linked to another config (external_id ${links.get(d.deviceId)})`);
    }
    return out;
  };

  const newRecord = (tenantId: string, d: DesiredConfig, nowMs: number): ConfigRecord => {
    const id = d.clientId ?? newId();
    return {
      config: {
        id,
        tenantId,
        externalId: d.externalId,
        name: d.name,
        content: d.content,
        contentTemplate: d.contentTemplate,
        clientCert: d.clientCert,
        caCert: d.caCert,
        hasClientKey: d.clientKey !== null,
        state: d.state,
        deviceId: d.deviceId,
        createdAt: nowMs,
        updatedAt: nowMs,
      },
      secrets: configSecrets(
        secrets,
        { tenantId, id },
        {
          externalId: d.externalId,
          externalKey: d.externalKey,
          clientSecret: d.clientSecret ?? randomUUID(),
          clientKey: d.clientKey,
        },
      ),
    };
  };

  /** Configs, connections and their `bootstrap.config_created` events, in one transaction. */
  const insertAll = (tenantId: string, rows: { d: DesiredConfig; r: ConfigRecord }[], nowMs: number) =>
    db.transaction().execute(async (tx) => {
      await insertConfigs(
        tx,
        rows.map((x) => x.r),
      );
      await insertConnections(
        tx,
        rows.flatMap(({ d, r }) =>
          d.channels.map((channelId) => ({
            configId: r.config.id,
            channelId,
            tenantId,
            active: d.state === 1,
            nowMs,
          })),
        ),
      );
      await recordEvents(
        tx,
        rows.map(({ d, r }) => ({
          tenantId,
          type: 'bootstrap.config_created' as const,
          deviceId: d.deviceId,
          payload: {
            client_id: r.config.id,
            external_id: d.externalId,
            name: d.name,
            channels: d.channels,
            state: d.state,
            via: 'import',
          },
          nowMs,
        })),
      );
    });

  /** Changes an existing config to match its row, in one transaction (--update). */
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
      if (has('device_id') && d.deviceId !== null && !(await deps.deviceExists(tenantId, d.deviceId)))
        return { ...base, outcome: 'invalid', reason: 'device not found in this tenant' };
      const patch: ConfigPatch = {
        ...(has('name') ? { name: d.name } : {}),
        ...(has('content') ? { content: d.content } : {}),
        ...(has('content_template') ? { content_template: d.contentTemplate } : {}),
        ...(has('client_cert') ? { client_cert: d.clientCert } : {}),
        ...(has('ca_cert') ? { ca_cert: d.caCert } : {}),
        ...(has('device_id') ? { device_id: d.deviceId } : {}),
        ...(has('state') ? { state: d.state } : {}),
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
        const event = (type: EventType, payload: Record<string, unknown>) =>
          recordEvent(tx, {
            tenantId,
            type,
            deviceId: has('device_id') ? (d.deviceId ?? c.deviceId) : c.deviceId,
            payload: { client_id: id, ...payload, via: 'import' },
            nowMs,
          });
        let delta = {};
        if (has('channels')) {
          const channels = await checkChannels(tx, tenantId, d.channels);
          delta = await replaceConnections(tx, tenantId, id, channels, state === 1, nowMs);
        }
        const changed = fields.filter((f) => f !== 'state');
        if (changed.length > 0) await event('bootstrap.config_updated', { fields: changed, ...delta });
        if (has('state')) {
          await setConnectionsActive(tx, id, state === 1, nowMs);
          await event('bootstrap.state_changed', { from: c.state, state });
        }
      });
      return { ...base, outcome: 'updated', fields };
    } catch (x) {
      if (x instanceof ConfigVanished)
        return { ...base, outcome: 'conflicting', reason: 'the config was removed meanwhile; import again' };
      if (isUniqueViolation(x)) {
        const reason = await reasonOf(x, db, { tenantId, id, name: d.name, deviceId: d.deviceId });
        return { ...base, outcome: 'conflicting', fields, reason };
      }
      if (isAppError(x)) return { ...base, outcome: 'invalid', reason: x.publicMessage };
      if (isForeignKeyViolation(x))
        return { ...base, outcome: 'invalid', reason: 'a channel or device it names was removed meanwhile' };
      throw x;
    }
  };

  /** One batch: compare with what exists, create what is missing (one transaction), update if asked. */
  const runBatch = async (
    tenantId: string,
    batch: DesiredConfig[],
    update: boolean,
  ): Promise<ImportRowResult[]> => {
    const results: ImportRowResult[] = [];
    const existing = new Map(
      (
        await configsByExternalIds(
          db,
          tenantId,
          batch.map((d) => d.externalId),
        )
      ).map((r) => [r.config.externalId, r]),
    );
    const channelsOf = await channelIdsOfConfigs(
      db,
      [...existing.values()].map((r) => r.config.id),
    );
    const fresh: DesiredConfig[] = [];
    const toUpdate: { d: DesiredConfig; e: ConfigRecord; fields: ImportField[] }[] = [];
    for (const d of batch) {
      const e = existing.get(d.externalId);
      if (!e) {
        fresh.push(d);
        continue;
      }
      const base = { line: d.line, externalId: d.externalId, clientId: e.config.id };
      const fields = differingFields(
        d,
        { record: e, channelIds: channelsOf.get(e.config.id) ?? [] },
        secrets,
      );
      const fixed = fields.filter((f) => IMMUTABLE_FIELDS.includes(f));
      if (fields.length === 0) results.push({ ...base, outcome: 'unchanged' });
      else if (fixed.length > 0)
        results.push({
          ...base,
          outcome: 'conflicting',
          fields,
          reason: `${fixed.join(', ')} cannot be changed by an import (remove the config and import it again)`,
        });
      else if (!update)
        results.push({
          ...base,
          outcome: 'conflicting',
          fields,
          reason: 'differs (--update applies the file)',
        });
      else toUpdate.push({ d, e, fields });
    }

    const problems = await checkFresh(tenantId, fresh);
    const nowMs = clock.nowMs();
    const creatable = fresh
      .filter((d) => !problems.has(d.line))
      .map((d) => ({ d, r: newRecord(tenantId, d, nowMs) }));
    for (const d of fresh) {
      const p = problems.get(d.line);
      if (p) results.push({ line: d.line, externalId: d.externalId, ...p });
    }
    if (creatable.length > 0) {
      try {
        await insertAll(tenantId, creatable, nowMs);
        for (const { d, r } of creatable)
          results.push({ line: d.line, externalId: d.externalId, outcome: 'created', clientId: r.config.id });
      } catch (e) {
        if (!isUniqueViolation(e) && !isForeignKeyViolation(e)) throw e;
        if (creatable.length > 1) {
          // A concurrent writer took a value of this batch: redo it row by row (each compared afresh).
          for (const { d } of creatable) results.push(...(await runBatch(tenantId, [d], update)));
        } else {
          const [{ d, r }] = creatable as [(typeof creatable)[number]];
          const base = { line: d.line, externalId: d.externalId };
          results.push(
            isUniqueViolation(e)
              ? {
                  ...base,
                  outcome: 'conflicting',
                  reason: await reasonOf(e, db, { ...r.config }),
                }
              : { ...base, outcome: 'invalid', reason: 'a channel or device it names was removed meanwhile' },
          );
        }
      }
    }
    for (const u of toUpdate) results.push(await updateOne(tenantId, u.d, u.e, u.fields));
    return results;
  };

  return {
    async importRows(tenantId, rows, opts) {
      const results: ImportRowResult[] = [];
      const valid: DesiredConfig[] = [];
      for (const row of rows) {
        const d = desiredConfig(row);
        if ('invalid' in d)
          results.push({
            line: row.line,
            externalId: row.input.externalId,
            outcome: 'invalid',
            reason: d.invalid,
          });
        else valid.push(d);
      }
      const duplicates = duplicatesInFile(valid);
      const todo = valid.filter((d) => {
        const reason = duplicates.get(d.line);
        if (reason) results.push({ line: d.line, externalId: d.externalId, outcome: 'invalid', reason });
        return !reason;
      });
      for (let i = 0; i < todo.length; i += IMPORT_BATCH_ROWS) {
        results.push(...(await runBatch(tenantId, todo.slice(i, i + IMPORT_BATCH_ROWS), opts.update)));
      }
      results.sort((a, b) => a.line - b.line);
      const counts = { created: 0, unchanged: 0, updated: 0, conflicting: 0, invalid: 0 };
      for (const r of results) counts[r.outcome]++;
      return { results, counts };
    },
  };
};

class ConfigVanished extends Error {}

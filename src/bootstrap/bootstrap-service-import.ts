import { isForeignKeyViolation, isUniqueViolation } from '../store/store.js';
import { conflictReason } from './bootstrap-config-input.js';
import type { ImportField, ImportRow } from './bootstrap-import.js';
import {
  type DesiredConfig,
  desiredConfig,
  differingFields,
  duplicatesInFile,
  IMMUTABLE_FIELDS,
  type ImportReport,
  type ImportRowResult,
} from './bootstrap-import-check.js';
import { createImportCreation, type ImportDeps } from './bootstrap-import-create.js';
import { createImportUpdate } from './bootstrap-import-update.js';
import { channelIdsOfConfigs, configsByExternalIds } from './bootstrap-repo-import.js';
import type { ConfigRecord } from './bootstrap-types.js';

export type { ImportReport, ImportRowResult } from './bootstrap-import-check.js';

/**
 * `gatehouse bootstrap import` (docs/bootstrap-import.md): makes the tenant's configs match a
 * file, idempotently. Each row is written with its final state (state, connections, event) in
 * the transaction that creates it, never "create, then enable", so a process killed at any point
 * leaves every row either absent or complete, and running the same file again finishes the job.
 * Rows go in batches (one transaction per batch); a batch that a concurrent writer makes collide
 * is retried row by row, so one bad row never costs the others.
 */
export interface BootstrapImportService {
  /** `update`: existing configs that differ are changed to match their row (not their secrets). */
  importRows(tenantId: string, rows: readonly ImportRow[], opts: { update: boolean }): Promise<ImportReport>;
}

/** Rows per transaction: large enough to amortise a commit, small enough to hold locks briefly. */
export const IMPORT_BATCH_ROWS = 500;

export const createBootstrapImportService = (deps: ImportDeps): BootstrapImportService => {
  const { clock, secrets } = deps;
  const db = deps.store.db;
  const { checkFresh, newRecord, insertAll } = createImportCreation(deps);
  const updateOne = createImportUpdate(deps);

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
                  reason: await conflictReason(e, db, { ...r.config }),
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

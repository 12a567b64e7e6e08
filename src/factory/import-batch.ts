import type { Clock } from '../core/clock.js';
import { newId, newOrderedId } from '../core/ids.js';
import {
  type Actor,
  applyImportPlan,
  type ImportOrigin,
  type ImportRow,
  type ImportRowOutcome,
  planImportBatch,
  readKnownState,
} from '../devauth/index.js';
import { insertImportedInventory } from '../inventory/index.js';
import { deferCommitFlush, retryOnConflict } from '../store/conflicts.js';
import type { Store } from '../store/store.js';
import { type BatchSink, countResults, invalidResults, type RowResult } from './import-engine.js';
import { checkpointImport, insertProblems } from './import-repo.js';
import type { DryRunScratch } from './import-scratch.js';

export class LeaseLostError extends Error {
  constructor() {
    super('another runner took over this import (its lease ran out)');
  }
}

const toResult = (o: ImportRowOutcome): RowResult =>
  o.outcome === 'conflict'
    ? { line: o.line, outcome: 'conflict', deviceId: o.deviceId, reason: o.reason }
    : { line: o.line, outcome: o.outcome, deviceId: o.deviceId };

const byLine = (a: RowResult, b: RowResult) => a.line - b.line;

/**
 * The sink of a real import: one transaction per batch that reads what exists, writes the new
 * devices (devauth), their inventory and the problem rows, and moves the import's checkpoint,
 * so a crash at any point leaves either the whole batch with its checkpoint or neither. A
 * concurrent preauthorization of one of the batch's identities or keys makes the insert fail;
 * the batch is then planned again and sees it (retryOnConflict).
 */
export const realBatchSink = (deps: {
  store: Store;
  clock: Clock;
  importId: string;
  owner: string;
  leaseMs: number;
  tenantId: string;
  origin: ImportOrigin;
  actor?: Actor;
}): BatchSink => {
  const { store, clock, tenantId } = deps;
  return async (checks, lastLine) => {
    const rows = checks.flatMap((c) => (c.ok ? [c.row] : []));
    const invalid = invalidResults(checks);
    return retryOnConflict(() =>
      store.db.transaction().execute(async (tx) => {
        // The import's finish (an ordinary commit) flushes these; a batch lost before it is
        // lost with its checkpoint and imported again by whoever resumes the import.
        await deferCommitFlush(tx);
        const nowMs = clock.nowMs();
        const known = await readKnownState(
          tx,
          tenantId,
          rows.map((r) => r.identity.sha256),
          rows.map((r) => r.key.sha256),
        );
        // Time-ordered ids: a batch's devices, auth sets and inventory rows go to the end of every
        // index their id leads (primary keys, device_id indexes) instead of 500 random places,
        // which keeps the pages a commit writes few (docs/adr/0019-factory-imports.md).
        const plan = planImportBatch(rows, known, () => newOrderedId(nowMs));
        await applyImportPlan(tx, {
          tenantId,
          creates: plan.creates,
          origin: deps.origin,
          ...(deps.actor ? { trail: { actor: deps.actor } } : {}),
          nowMs,
        });
        await insertImportedInventory(
          tx,
          plan.creates.map((c) => ({
            id: c.deviceId,
            tenantId,
            identity: c.row.identity.attributes,
            status: 'preauthorized',
            group: c.row.group,
            tags: c.row.tags,
          })),
          nowMs,
        );
        const results = [...plan.outcomes.map(toResult), ...invalid].sort(byLine);
        await insertProblems(
          tx,
          deps.importId,
          results.flatMap((r) =>
            r.outcome === 'conflict' || r.outcome === 'invalid'
              ? [{ line: r.line, outcome: r.outcome, reason: r.reason ?? '', deviceId: r.deviceId ?? null }]
              : [],
          ),
        );
        const ok = await checkpointImport(tx, {
          id: deps.importId,
          owner: deps.owner,
          doneLine: lastLine,
          add: countResults(results),
          nowMs,
          leaseMs: deps.leaseMs,
        });
        if (!ok) throw new LeaseLostError();
        return results;
      }),
    );
  };
};

/**
 * The sink of a dry run: the same decisions, made against the database as it is plus the rows
 * the dry run would have created so far (kept in a scratch file, not in memory), writing nothing.
 */
export const dryRunBatchSink = (deps: {
  store: Store;
  tenantId: string;
  scratch: DryRunScratch;
}): BatchSink => {
  const { store, tenantId, scratch } = deps;
  return async (checks) => {
    const rows: ImportRow[] = checks.flatMap((c) => (c.ok ? [c.row] : []));
    const known = await readKnownState(
      store.db,
      tenantId,
      rows.map((r) => r.identity.sha256),
      rows.map((r) => r.key.sha256),
    );
    scratch.addKnown(known, rows);
    const plan = planImportBatch(rows, known, newId);
    scratch.recordCreates(plan.creates);
    return [...plan.outcomes.map(toResult), ...invalidResults(checks)].sort(byLine);
  };
};

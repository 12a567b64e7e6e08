import type { Actor } from '../devauth/index.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num, numOrNull } from '../store/store.js';
import type {
  DeviceImport,
  ImportCounts,
  ImportProblem,
  ImportStatus,
  ProblemOutcome,
} from './factory-types.js';
import type { ManifestFormat } from './manifest-read.js';

const toImport = (r: TableRow<'device_imports'>): DeviceImport => ({
  id: r.id,
  tenantId: r.tenant_id,
  status: r.status as ImportStatus,
  format: r.format as ManifestFormat,
  manifestSha256: r.manifest_sha256,
  manifestBytes: num(r.manifest_bytes),
  linesTotal: num(r.lines_total),
  factoryId: r.factory_id,
  blobKey: r.blob_key,
  doneLine: num(r.done_line),
  rowsDone: num(r.rows_done),
  created: num(r.created),
  unchanged: num(r.unchanged),
  conflicts: num(r.conflicts),
  invalid: num(r.invalid),
  error: r.error,
  leaseOwner: r.lease_owner,
  leaseUntil: numOrNull(r.lease_until),
  createdBy: r.created_by === null ? null : (JSON.parse(r.created_by) as Actor),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
  finishedAt: numOrNull(r.finished_at),
});

export const insertImport = async (db: Executor, i: DeviceImport): Promise<void> => {
  await db
    .insertInto('device_imports')
    .values({
      id: i.id,
      tenant_id: i.tenantId,
      status: i.status,
      format: i.format,
      manifest_sha256: i.manifestSha256,
      manifest_bytes: i.manifestBytes,
      lines_total: i.linesTotal,
      factory_id: i.factoryId,
      blob_key: i.blobKey,
      done_line: i.doneLine,
      rows_done: i.rowsDone,
      created: i.created,
      unchanged: i.unchanged,
      conflicts: i.conflicts,
      invalid: i.invalid,
      error: i.error,
      lease_owner: i.leaseOwner,
      lease_until: i.leaseUntil,
      created_by: i.createdBy === null ? null : JSON.stringify(i.createdBy),
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      finished_at: i.finishedAt,
    })
    .execute();
};

export const findImport = async (db: Executor, tenantId: string, id: string) => {
  const r = await db
    .selectFrom('device_imports')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toImport(r) : undefined;
};

export const findImportById = async (db: Executor, id: string) => {
  const r = await db.selectFrom('device_imports').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toImport(r) : undefined;
};

/** The import of this manifest that has not finished (device_imports_unfinished_uq: at most one). */
export const findUnfinishedImport = async (db: Executor, tenantId: string, manifestSha256: string) => {
  const r = await db
    .selectFrom('device_imports')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('manifest_sha256', '=', manifestSha256)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return r ? toImport(r) : undefined;
};

export const listImports = async (
  db: Executor,
  tenantId: string,
  page: { limit: number; offset: number },
) => {
  const base = db.selectFrom('device_imports').where('tenant_id', '=', tenantId);
  const [rows, total] = await Promise.all([
    base
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { imports: rows.map(toImport), total: num(total.n) };
};

/** Unfinished imports whose lease has run out (their runner died), oldest first. */
export const runnableImportIds = async (db: Executor, nowMs: number, limit: number): Promise<string[]> =>
  (
    await db
      .selectFrom('device_imports')
      .select('id')
      .where('status', 'in', ['queued', 'running'])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', nowMs)]))
      .orderBy('created_at')
      .limit(limit)
      .execute()
  ).map((r) => r.id);

/**
 * Takes the import's lease if it is free, expired, already ours, or held by `deadOwner` (a
 * runner known to be dead); returns whether it did.
 */
export const claimImport = async (
  db: Executor,
  args: { id: string; owner: string; nowMs: number; leaseMs: number; deadOwner?: string },
): Promise<boolean> => {
  const res = await db
    .updateTable('device_imports')
    .set({
      status: 'running',
      lease_owner: args.owner,
      lease_until: args.nowMs + args.leaseMs,
      updated_at: args.nowMs,
    })
    .where('id', '=', args.id)
    .where('status', 'in', ['queued', 'running'])
    .where((eb) =>
      eb.or([
        eb('lease_until', 'is', null),
        eb('lease_until', '<', args.nowMs),
        eb('lease_owner', '=', args.owner),
        ...(args.deadOwner ? [eb('lease_owner', '=', args.deadOwner)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
};

/** Records a committed batch and renews the lease, in the batch's transaction; false if the lease was lost. */
export const checkpointImport = async (
  tx: Executor,
  args: { id: string; owner: string; doneLine: number; add: ImportCounts; nowMs: number; leaseMs: number },
): Promise<boolean> => {
  const { add } = args;
  const res = await tx
    .updateTable('device_imports')
    .set((eb) => ({
      done_line: args.doneLine,
      rows_done: eb('rows_done', '+', add.rowsDone),
      created: eb('created', '+', add.created),
      unchanged: eb('unchanged', '+', add.unchanged),
      conflicts: eb('conflicts', '+', add.conflicts),
      invalid: eb('invalid', '+', add.invalid),
      lease_until: args.nowMs + args.leaseMs,
      updated_at: args.nowMs,
    }))
    .where('id', '=', args.id)
    .where('lease_owner', '=', args.owner)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
};

export const finishImport = async (
  tx: Executor,
  args: { id: string; owner: string; status: 'succeeded' | 'failed'; error: string | null; nowMs: number },
): Promise<boolean> => {
  const res = await tx
    .updateTable('device_imports')
    .set({
      status: args.status,
      error: args.error,
      lease_owner: null,
      lease_until: null,
      blob_key: null,
      finished_at: args.nowMs,
      updated_at: args.nowMs,
    })
    .where('id', '=', args.id)
    .where('lease_owner', '=', args.owner)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
};

export const insertProblems = async (
  tx: Executor,
  importId: string,
  problems: readonly ImportProblem[],
): Promise<void> => {
  for (let i = 0; i < problems.length; i += 500)
    await tx
      .insertInto('device_import_problems')
      .values(
        problems.slice(i, i + 500).map((p) => ({
          import_id: importId,
          line: p.line,
          outcome: p.outcome,
          reason: p.reason,
          device_id: p.deviceId,
        })),
      )
      .execute();
};

/** A page of an import's problem rows by line, from `afterLine` on (keyset: reports of any size). */
export const listProblems = async (
  db: Executor,
  importId: string,
  args: { afterLine: number; limit: number; outcome?: ProblemOutcome },
): Promise<ImportProblem[]> => {
  let q = db
    .selectFrom('device_import_problems')
    .selectAll()
    .where('import_id', '=', importId)
    .where('line', '>', args.afterLine);
  if (args.outcome) q = q.where('outcome', '=', args.outcome);
  return (await q.orderBy('line').limit(args.limit).execute()).map((r) => ({
    line: num(r.line),
    outcome: r.outcome as ProblemOutcome,
    reason: r.reason,
    deviceId: r.device_id,
  }));
};

/** The blob keys unfinished imports still need (for the orphan sweep). */
export const importBlobKeys = async (db: Executor): Promise<Set<string>> =>
  new Set(
    (
      await db.selectFrom('device_imports').select('blob_key').where('blob_key', 'is not', null).execute()
    ).map((r) => r.blob_key as string),
  );

/** Gives the lease up (a runner stopping between batches): the next runner need not wait for it. */
export const releaseImport = async (
  db: Executor,
  id: string,
  owner: string,
  nowMs: number,
): Promise<void> => {
  await db
    .updateTable('device_imports')
    .set({ lease_owner: null, lease_until: null, updated_at: nowMs })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
};

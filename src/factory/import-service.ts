import type { Readable, Writable } from 'node:stream';
import type { BlobStore } from '../blobs/index.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Actor } from '../devauth/index.js';
import { recordEvent } from '../events/index.js';
import { isUniqueViolation, type Store } from '../store/store.js';
import { factoryErrors } from './factory-errors.js';
import type { FactoriesService } from './factory-service-factories.js';
import type { DeviceImport, Factory, ImportProblem, ProblemOutcome } from './factory-types.js';
import { dryRunBatchSink, LeaseLostError, realBatchSink } from './import-batch.js';
import { countResults, type RowResult, streamImport } from './import-engine.js';
import { isDeadLocalOwner } from './import-lease.js';
import { inspectManifest, type ManifestFacts, ManifestTooLargeError } from './import-manifest-file.js';
import {
  claimImport,
  findImport,
  findImportById,
  findUnfinishedImport,
  finishImport,
  importBlobKeys,
  insertImport,
  insertProblems,
  listImports,
  listProblems,
  releaseImport,
  runnableImportIds,
} from './import-repo.js';
import { openDryRunScratch } from './import-scratch.js';
import type { ManifestFormat } from './manifest-read.js';
import { inlineRowChecker, openRowCheckPool, type RowChecker } from './row-check-pool.js';

export interface ImportSettings {
  leaseMs: number;
  maxManifestBytes: number;
}

export interface StageInput {
  format: ManifestFormat;
  /** The detached signature (the .sig file's text), if the manifest is signed. */
  signature?: string | undefined;
  allowUnsigned: boolean;
  actor?: Actor | undefined;
}

export interface DryRunSummary {
  signedBy: Factory | null;
  manifest: ManifestFacts;
  counts: ReturnType<typeof countResults>;
  syntaxError?: { line: number; message: string };
}

/**
 * Bulk preauthorization from manifests (docs/factory-manifests.md). An import is staged (the
 * manifest copied to blob storage while it is hashed, its signature checked) and then run as a
 * job, batch by batch, by whoever holds its lease: the CLI that staged it, or any `serve`
 * process once the lease is free. The checkpoint moves in each batch's transaction, so after a
 * crash the next runner goes on from the last committed batch and nothing is done twice.
 */
/**
 * Below this many lines a manifest is checked on the import's own thread: starting threads
 * costs more than they would save.
 */
const THREADED_CHECK_MIN_LINES = 2000;

const checkerFor = (lines: number): RowChecker =>
  lines >= THREADED_CHECK_MIN_LINES ? openRowCheckPool() : inlineRowChecker;

export const createImportsService = (deps: {
  store: Store;
  clock: Clock;
  blobs: BlobStore;
  factories: FactoriesService;
  logger: Logger;
  settings: ImportSettings;
}) => {
  const { store, clock, blobs, factories, logger, settings } = deps;
  const db = store.db;

  const signerOf = async (
    tenantId: string,
    sha256: string,
    signature: string | undefined,
    allowUnsigned: boolean,
  ): Promise<Factory | null> => {
    if (signature === undefined || signature.trim() === '') {
      if (!allowUnsigned) throw factoryErrors.unsigned();
      return null;
    }
    const f = await factories.signer(tenantId, sha256, signature);
    if (!f) throw factoryErrors.badSignature();
    return f;
  };

  const inspect = async (input: Readable, copyTo?: Writable) => {
    try {
      return await inspectManifest(input, {
        maxBytes: settings.maxManifestBytes,
        ...(copyTo ? { copyTo } : {}),
      });
    } catch (e) {
      if (e instanceof ManifestTooLargeError) throw factoryErrors.tooLarge(settings.maxManifestBytes);
      throw e;
    }
  };

  const finish = async (job: DeviceImport, owner: string, error: string | null) => {
    const nowMs = clock.nowMs();
    const done = await db.transaction().execute(async (tx) => {
      if (
        !(await finishImport(tx, { id: job.id, owner, status: error ? 'failed' : 'succeeded', error, nowMs }))
      )
        return false;
      const after = await findImportById(tx, job.id);
      await recordEvent(tx, {
        tenantId: job.tenantId,
        type: 'import.finished',
        payload: {
          import_id: job.id,
          status: error ? 'failed' : 'succeeded',
          created: after?.created ?? 0,
          unchanged: after?.unchanged ?? 0,
          conflicts: after?.conflicts ?? 0,
          invalid: after?.invalid ?? 0,
        },
        nowMs,
      });
      return true;
    });
    if (done && job.blobKey) await blobs.remove(job.blobKey);
  };

  return {
    /**
     * Copies the manifest to blob storage while hashing it, checks the signature, and queues an
     * import, or finds the unfinished import of the same manifest (a rerun resumes it).
     */
    async stage(
      tenantId: string,
      input: Readable,
      opts: StageInput,
    ): Promise<{ job: DeviceImport; resumed: boolean }> {
      const writer = await blobs.createWriter();
      let facts: ManifestFacts;
      let factory: Factory | null;
      try {
        facts = await inspect(input, writer.stream);
        factory = await signerOf(tenantId, facts.sha256, opts.signature, opts.allowUnsigned);
        const running = await findUnfinishedImport(db, tenantId, facts.sha256);
        if (running) {
          await writer.abort();
          return { job: running, resumed: true };
        }
      } catch (e) {
        await writer.abort();
        throw e;
      }
      const id = newId();
      const blobKey = `imports/${id}`;
      await writer.commit(blobKey);
      const nowMs = clock.nowMs();
      const job: DeviceImport = {
        id,
        tenantId,
        status: 'queued',
        format: opts.format,
        manifestSha256: facts.sha256,
        manifestBytes: facts.bytes,
        linesTotal: facts.lines,
        factoryId: factory?.id ?? null,
        blobKey,
        doneLine: 0,
        rowsDone: 0,
        created: 0,
        unchanged: 0,
        conflicts: 0,
        invalid: 0,
        error: null,
        leaseOwner: null,
        leaseUntil: null,
        createdBy: opts.actor ?? null,
        createdAt: nowMs,
        updatedAt: nowMs,
        finishedAt: null,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await insertImport(tx, job);
          await recordEvent(tx, {
            tenantId,
            type: 'import.started',
            payload: {
              import_id: id,
              manifest_sha256: facts.sha256,
              lines: facts.lines,
              ...(factory ? { factory_id: factory.id, factory_name: factory.name } : { unsigned: true }),
              ...(opts.actor ? { actor: opts.actor } : {}),
            },
            nowMs,
          });
        });
      } catch (e) {
        await blobs.remove(blobKey);
        // Staged at the same moment by another runner (device_imports_unfinished_uq): join it.
        if (isUniqueViolation(e)) {
          const running = await findUnfinishedImport(db, tenantId, facts.sha256);
          if (running) return { job: running, resumed: true };
        }
        throw e;
      }
      return { job, resumed: false };
    },

    /** Takes the import's lease (free, expired, or held by a dead process on this host). */
    async claim(id: string, owner: string): Promise<boolean> {
      const job = await findImportById(db, id);
      if (!job || (job.status !== 'queued' && job.status !== 'running')) return false;
      return claimImport(db, {
        id,
        owner,
        nowMs: clock.nowMs(),
        leaseMs: settings.leaseMs,
        ...(isDeadLocalOwner(job.leaseOwner) && job.leaseOwner ? { deadOwner: job.leaseOwner } : {}),
      });
    },

    /** Runs a claimed import to its end from its checkpoint; returns it as it is afterwards. */
    async run(
      id: string,
      owner: string,
      onResults?: (r: readonly RowResult[]) => void,
      shouldStop?: () => boolean,
    ): Promise<DeviceImport> {
      const job = await findImportById(db, id);
      if (!job) throw factoryErrors.importNotFound();
      if (job.leaseOwner !== owner || job.status !== 'running') return job;
      if (!job.blobKey || (await blobs.size(job.blobKey)) === undefined) {
        await finish(job, owner, 'the stored manifest is missing');
        return (await findImportById(db, id)) ?? job;
      }
      const checker = checkerFor(job.linesTotal - job.doneLine);
      try {
        const outcome = await streamImport({
          input: blobs.open(job.blobKey),
          format: job.format,
          skipThroughLine: job.doneLine,
          checker,
          sink: realBatchSink({
            store,
            clock,
            importId: job.id,
            owner,
            leaseMs: settings.leaseMs,
            tenantId: job.tenantId,
            origin: { importId: job.id, factoryId: job.factoryId },
            ...(job.createdBy ? { actor: job.createdBy } : {}),
          }),
          ...(onResults ? { onResults } : {}),
          ...(shouldStop ? { shouldStop } : {}),
        });
        if (outcome.stopped) await releaseImport(db, id, owner, clock.nowMs());
        else if (outcome.syntaxError) {
          const { line, message } = outcome.syntaxError;
          await db.transaction().execute(async (tx) => {
            await insertProblems(tx, job.id, [{ line, outcome: 'invalid', reason: message, deviceId: null }]);
          });
          onResults?.([{ line, outcome: 'invalid', reason: message }]);
          await finish(job, owner, `${message} (line ${line}); the lines after it were not imported`);
        } else await finish(job, owner, null);
      } catch (e) {
        if (e instanceof LeaseLostError) {
          logger.warn({ importId: id }, e.message);
        } else throw e;
      } finally {
        await checker.close();
      }
      return (await findImportById(db, id)) ?? job;
    },

    /** Decides every row as a real import would, writing nothing to the database. */
    async dryRun(
      tenantId: string,
      input: () => Readable,
      opts: StageInput & { facts?: ManifestFacts },
      onResults?: (r: readonly RowResult[]) => void,
    ): Promise<DryRunSummary> {
      const manifest = opts.facts ?? (await inspect(input()));
      const signedBy = await signerOf(tenantId, manifest.sha256, opts.signature, opts.allowUnsigned);
      const counts = countResults([]);
      const scratch = openDryRunScratch();
      const checker = checkerFor(manifest.lines);
      try {
        const outcome = await streamImport({
          input: input(),
          format: opts.format,
          skipThroughLine: 0,
          checker,
          sink: dryRunBatchSink({ store, tenantId, scratch }),
          onResults: (results) => {
            const c = countResults(results);
            counts.rowsDone += c.rowsDone;
            counts.created += c.created;
            counts.unchanged += c.unchanged;
            counts.conflicts += c.conflicts;
            counts.invalid += c.invalid;
            onResults?.(results);
          },
        });
        if (outcome.syntaxError) {
          counts.invalid++;
          counts.rowsDone++;
          onResults?.([
            { line: outcome.syntaxError.line, outcome: 'invalid', reason: outcome.syntaxError.message },
          ]);
        }
        return {
          signedBy,
          manifest,
          counts,
          ...(outcome.syntaxError ? { syntaxError: outcome.syntaxError } : {}),
        };
      } finally {
        scratch.close();
        await checker.close();
      }
    },

    /**
     * A dry run of a manifest that arrives as a stream (an upload): it is staged to blob storage
     * first, since it is read twice (the signature is over its hash), then dropped.
     */
    async dryRunUpload(
      tenantId: string,
      input: Readable,
      opts: StageInput,
      onResults?: (r: readonly RowResult[]) => void,
    ): Promise<DryRunSummary> {
      const writer = await blobs.createWriter();
      let facts: ManifestFacts;
      try {
        facts = await inspect(input, writer.stream);
      } catch (e) {
        await writer.abort();
        throw e;
      }
      const key = `imports/dry-run-${newId()}`;
      await writer.commit(key);
      try {
        return await this.dryRun(tenantId, () => blobs.open(key), { ...opts, facts }, onResults);
      } finally {
        await blobs.remove(key);
      }
    },

    async get(tenantId: string, id: string): Promise<DeviceImport> {
      const job = await findImport(db, tenantId, id);
      if (!job) throw factoryErrors.importNotFound();
      return job;
    },

    list: (tenantId: string, page: { limit: number; offset: number }) => listImports(db, tenantId, page),

    async problems(
      tenantId: string,
      id: string,
      args: { afterLine: number; limit: number; outcome?: ProblemOutcome },
    ) {
      if (!(await findImport(db, tenantId, id))) throw factoryErrors.importNotFound();
      return listProblems(db, id, args);
    },

    /** Every problem row of an import by line, a page at a time (reports of any size). */
    async *allProblems(tenantId: string, id: string): AsyncGenerator<ImportProblem> {
      if (!(await findImport(db, tenantId, id))) throw factoryErrors.importNotFound();
      for (let after = 0; ; ) {
        const page = await listProblems(db, id, { afterLine: after, limit: 1000 });
        yield* page;
        if (page.length < 1000) return;
        after = page[page.length - 1]?.line ?? after;
      }
    },

    /** Unfinished imports whose runner is gone; `serve` takes them over. */
    runnable: (limit: number) => runnableImportIds(db, clock.nowMs(), limit),

    /** Blobs under imports/ that no unfinished import names, older than `graceMs` (crash leftovers). */
    async removeOrphanBlobs(graceMs: number): Promise<{ blobs: number; bytes: number }> {
      const cutoff = clock.nowMs() - graceMs;
      const stored = (await blobs.list('imports')).filter((b) => b.modifiedMs < cutoff);
      if (stored.length === 0) return { blobs: 0, bytes: 0 };
      const named = await importBlobKeys(db);
      const orphans = stored.filter((b) => !named.has(b.key));
      for (const b of orphans) await blobs.remove(b.key);
      return { blobs: orphans.length, bytes: orphans.reduce((n, b) => n + b.size, 0) };
    },
  };
};

export type ImportsService = ReturnType<typeof createImportsService>;

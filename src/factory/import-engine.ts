import type { Readable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type ManifestFormat,
  type ManifestRecord,
  ManifestSyntaxError,
  readManifest,
} from './manifest-read.js';
import type { RowCheck } from './manifest-rows.js';
import { inlineRowChecker, type RowChecker } from './row-check-pool.js';

export const rowOutcomes = ['created', 'unchanged', 'conflict', 'invalid'] as const;
export type RowOutcome = (typeof rowOutcomes)[number];

/** What happened to one manifest row. */
export interface RowResult {
  line: number;
  outcome: RowOutcome;
  /** The created or unchanged device, or for a conflict the device holding the identity or key. */
  deviceId?: string;
  /** Why a row conflicts or is invalid. */
  reason?: string;
}

/** Decides (and in a real run commits) one batch of checked rows. */
export type BatchSink = (checks: readonly RowCheck[], lastLine: number) => Promise<RowResult[]>;

/** Rows per transaction: large enough to amortise a commit, small enough to keep locks short. */
export const IMPORT_BATCH_ROWS = 500;

/**
 * Streams a manifest through batches: reads rows, has them checked (keys are parsed there, on
 * the checker's threads, outside any transaction), hands each checked batch to the sink in
 * manifest order, and skips the lines a previous run committed (`skipThroughLine`) without
 * checking them. Returns the syntax error that ended the reading, if any; every batch before it
 * was handed to the sink.
 */
export const streamImport = async (args: {
  input: Readable;
  format: ManifestFormat;
  skipThroughLine: number;
  sink: BatchSink;
  /** Default: on this thread. */
  checker?: RowChecker;
  batchRows?: number;
  onResults?: (results: readonly RowResult[]) => void;
  /** Asked between batches: true ends the reading there (a server shutting down). */
  shouldStop?: () => boolean;
}): Promise<{ syntaxError?: { line: number; message: string }; stopped?: boolean }> => {
  const batchRows = args.batchRows ?? IMPORT_BATCH_ROWS;
  const checker = args.checker ?? inlineRowChecker;
  let records: ManifestRecord[] = [];
  let lastLine = args.skipThroughLine;
  // Batches being checked, in manifest order (at most checker.depth), while one batch before
  // them is committed: commits stay in order, one at a time.
  const checking: { checks: Promise<RowCheck[]>; through: number }[] = [];
  let inflight: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const settle = async () => {
    if (inflight) await inflight;
    inflight = undefined;
    if (failure) throw failure.error;
  };
  /** Waits for the oldest batch's checks and the commit before it, then starts its commit. */
  const commitOldest = async () => {
    const next = checking.shift();
    if (!next) return;
    const checks = await next.checks;
    await settle();
    inflight = args.sink(checks, next.through).then(
      (results) => args.onResults?.(results),
      (error: unknown) => {
        failure = { error };
      },
    );
    // A server runs imports beside device traffic: let waiting requests in between batches.
    await yieldToEventLoop();
  };
  const submit = () => {
    if (records.length === 0) return;
    const checks = checker.check(records);
    // Awaited in order by commitOldest; until then a failure must not count as unhandled.
    checks.catch(() => {});
    checking.push({ checks, through: lastLine });
    records = [];
  };
  const drain = async () => {
    submit();
    while (checking.length > 0) await commitOldest();
    await settle();
  };
  try {
    for await (const rec of readManifest(args.input, args.format)) {
      if (rec.line <= args.skipThroughLine) continue;
      records.push(rec);
      lastLine = rec.line;
      if (records.length >= batchRows) {
        submit();
        if (checking.length > checker.depth) {
          await commitOldest();
          if (args.shouldStop?.()) {
            // What was read past the last commit is read again by whoever resumes the import.
            await settle();
            return { stopped: true };
          }
        }
      }
    }
  } catch (e) {
    if (!(e instanceof ManifestSyntaxError)) {
      await settle().catch(() => {});
      throw e;
    }
    await drain();
    return { syntaxError: { line: e.line, message: e.message } };
  }
  await drain();
  return {};
};

/** The results of a batch in line order: the sink's decisions and the rows that were invalid. */
export const invalidResults = (checks: readonly RowCheck[]): RowResult[] =>
  checks.flatMap((c) => (c.ok ? [] : [{ line: c.line, outcome: 'invalid' as const, reason: c.reason }]));

export const countResults = (results: readonly RowResult[]) => {
  const counts = { rowsDone: results.length, created: 0, unchanged: 0, conflicts: 0, invalid: 0 };
  for (const r of results) {
    if (r.outcome === 'created') counts.created++;
    else if (r.outcome === 'unchanged') counts.unchanged++;
    else if (r.outcome === 'conflict') counts.conflicts++;
    else counts.invalid++;
  }
  return counts;
};

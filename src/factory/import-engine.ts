import type { Readable } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type ManifestFormat, ManifestSyntaxError, readManifest } from './manifest-read.js';
import { checkRecord, type RowCheck } from './manifest-rows.js';

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
 * Streams a manifest through batches: reads and checks rows (keys are parsed here, outside any
 * transaction), hands each full batch to the sink, and skips the lines a previous run committed
 * (`skipThroughLine`) without checking them. Returns the syntax error that ended the reading, if
 * any; every batch before it was handed to the sink.
 */
export const streamImport = async (args: {
  input: Readable;
  format: ManifestFormat;
  skipThroughLine: number;
  sink: BatchSink;
  batchRows?: number;
  onResults?: (results: readonly RowResult[]) => void;
  /** Asked between batches: true ends the reading there (a server shutting down). */
  shouldStop?: () => boolean;
}): Promise<{ syntaxError?: { line: number; message: string }; stopped?: boolean }> => {
  const batchRows = args.batchRows ?? IMPORT_BATCH_ROWS;
  let batch: RowCheck[] = [];
  let lastLine = args.skipThroughLine;
  // One batch is committed while the next is read and checked: with PostgreSQL the key parsing
  // of one batch overlaps the other's round trips. Commits stay in order, one at a time.
  let inflight: Promise<void> | undefined;
  let failure: { error: unknown } | undefined;
  const settle = async () => {
    if (inflight) await inflight;
    inflight = undefined;
    if (failure) throw failure.error;
  };
  const flush = async () => {
    await settle();
    if (batch.length === 0) return;
    const checks = batch;
    const through = lastLine;
    batch = [];
    inflight = args.sink(checks, through).then(
      (results) => args.onResults?.(results),
      (error: unknown) => {
        failure = { error };
      },
    );
    // A server runs imports beside device traffic: let waiting requests in between batches.
    await yieldToEventLoop();
  };
  try {
    for await (const rec of readManifest(args.input, args.format)) {
      if (rec.line <= args.skipThroughLine) continue;
      batch.push(checkRecord(rec));
      lastLine = rec.line;
      if (batch.length >= batchRows) {
        await flush();
        if (args.shouldStop?.()) {
          await settle();
          return { stopped: true };
        }
      }
    }
  } catch (e) {
    if (!(e instanceof ManifestSyntaxError)) {
      await settle().catch(() => {});
      throw e;
    }
    await flush();
    await settle();
    return { syntaxError: { line: e.line, message: e.message } };
  }
  await flush();
  await settle();
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

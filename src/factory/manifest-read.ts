import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';

/**
 * Reads a manifest as records with the line each starts on, streaming: memory is bounded by one
 * record (MAX_RECORD_BYTES), whatever the size of the file. A record that cannot be read is
 * reported by its line and the reading goes on; only a CSV syntax error (an unclosed quote)
 * ends the reading, since no later line can be placed after it.
 */

export const manifestFormats = ['jsonl', 'csv'] as const;
export type ManifestFormat = (typeof manifestFormats)[number];

/** A device row is well below this: an 8 KiB key, a 4 KiB identity, group and tags. */
export const MAX_RECORD_BYTES = 64 * 1024;

export type ManifestRecord =
  | { line: number; kind: 'json'; value: unknown }
  | { line: number; kind: 'csv'; header: readonly string[]; cells: readonly string[] }
  | { line: number; kind: 'unreadable'; reason: string };

/** The reading cannot go on (a CSV syntax error): lines after `line` were not read. */
export class ManifestSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

async function* jsonlRecords(input: Readable): AsyncGenerator<ManifestRecord> {
  let line = 0;
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  const finish = (): ManifestRecord | undefined => {
    line++;
    const buf = Buffer.concat(parts);
    parts = [];
    size = 0;
    if (tooLong) {
      tooLong = false;
      return { line, kind: 'unreadable', reason: `the line is longer than ${MAX_RECORD_BYTES} bytes` };
    }
    let text: string;
    try {
      text = utf8.decode(buf);
    } catch {
      return { line, kind: 'unreadable', reason: 'the line is not valid UTF-8' };
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return undefined;
    try {
      return { line, kind: 'json', value: JSON.parse(text) };
    } catch {
      return { line, kind: 'unreadable', reason: 'the line is not a JSON value' };
    }
  };
  for await (const chunk of input as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!tooLong) {
        if (size + (end - start) > MAX_RECORD_BYTES) {
          tooLong = true;
          parts = [];
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          size += end - start;
        }
      }
      if (nl === -1) break;
      const rec = finish();
      if (rec) yield rec;
      start = nl + 1;
    }
  }
  if (size > 0 || tooLong) {
    const rec = finish();
    if (rec) yield rec;
  }
}

const newlines = (s: string): number => {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
};

interface CsvRow {
  record: string[];
  raw: string;
  info: { lines: number };
}

type CsvError = Error & { lines?: number };

/**
 * The CSV records of `input`, fed to csv-parse a chunk at a time. Records are taken from its
 * `on_record` hook as they are parsed, not from its output: a syntax error destroys the parser's
 * stream, which would drop the records of the same chunk that came before the error.
 */
async function* csvRecords(input: Readable): AsyncGenerator<ManifestRecord> {
  const parsed: CsvRow[] = [];
  const parser = parse({
    bom: true,
    info: true,
    raw: true,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    on_record: (r) => {
      parsed.push(r as unknown as CsvRow);
      return null;
    },
  });
  let failure: CsvError | undefined;
  parser.on('error', (e: CsvError) => {
    failure ??= e;
  });
  parser.resume();
  const feed = (chunk?: Buffer | string) =>
    new Promise<void>((resolve) => {
      if (chunk === undefined) parser.end(() => resolve());
      else parser.write(chunk, () => resolve());
    });
  let header: string[] | undefined;
  let lastLine = 0;
  function* take(): Generator<ManifestRecord> {
    for (const r of parsed.splice(0)) {
      // The record's first line: its last line minus the line breaks inside it (csv-parse
      // reports where a record ends; skipped empty lines before it are part of its raw text).
      const body = r.raw.replace(/^(\r?\n)+/, '');
      const line = r.info.lines - newlines(body) + (body.endsWith('\n') ? 1 : 0);
      lastLine = r.info.lines;
      if (!header) {
        header = r.record.map((h) => h.trim());
        continue;
      }
      yield { line, kind: 'csv', header, cells: r.record };
    }
  }
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      await feed(chunk);
      yield* take();
      if (failure) break;
    }
    if (!failure) await feed();
    yield* take();
  } finally {
    parser.destroy();
  }
  if (failure) {
    throw new ManifestSyntaxError(failure.lines ?? lastLine + 1, `CSV syntax error: ${failure.message}`);
  }
}

export const readManifest = (input: Readable, format: ManifestFormat): AsyncGenerator<ManifestRecord> =>
  format === 'csv' ? csvRecords(input) : jsonlRecords(input);

/** The format a file name suggests (by extension), if any. */
export const formatOfFileName = (name: string): ManifestFormat | undefined => {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  return undefined;
};

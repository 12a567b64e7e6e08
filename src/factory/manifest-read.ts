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

async function* csvRecords(input: Readable): AsyncGenerator<ManifestRecord> {
  const parser = input.pipe(
    parse({
      bom: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_BYTES,
    }),
  );
  input.on('error', (e) => parser.destroy(e));
  let header: string[] | undefined;
  let lastLine = 0;
  try {
    for await (const r of parser as AsyncIterable<{
      record: string[];
      raw: string;
      info: { lines: number };
    }>) {
      // The record's first line: its last line minus the line breaks inside it (csv-parse reports
      // where a record ends; skipped empty lines before it are part of its raw text).
      const body = r.raw.replace(/^(\r?\n)+/, '');
      const line = r.info.lines - newlines(body) + (body.endsWith('\n') ? 1 : 0);
      lastLine = r.info.lines;
      if (!header) {
        header = r.record.map((h) => h.trim());
        continue;
      }
      yield { line, kind: 'csv', header, cells: r.record };
    }
  } catch (e) {
    if (input.errored) throw input.errored;
    const err = e as Error & { lines?: number };
    throw new ManifestSyntaxError(err.lines ?? lastLine + 1, `CSV syntax error: ${err.message}`);
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

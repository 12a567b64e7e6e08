import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

export interface ManifestFacts {
  sha256: string;
  bytes: number;
  /** Line breaks, plus one if the last line has none: the progress total. */
  lines: number;
}

export class ManifestTooLargeError extends Error {}

/**
 * Reads a manifest once, hashing it and counting its lines, and optionally copying it to `copyTo`
 * (with backpressure): what must be known before an import starts (the signature is over the
 * hash), in constant memory.
 */
export const inspectManifest = async (
  input: Readable,
  opts: { maxBytes: number; copyTo?: Writable },
): Promise<ManifestFacts> => {
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of input as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > opts.maxBytes) {
      input.destroy();
      throw new ManifestTooLargeError(`the manifest is larger than ${opts.maxBytes} bytes`);
    }
    hash.update(chunk);
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    last = chunk[chunk.length - 1] ?? last;
    // events.once also rejects on 'error', and removes both listeners when either comes.
    if (opts.copyTo && !opts.copyTo.write(chunk)) await once(opts.copyTo, 'drain');
  }
  if (opts.copyTo) {
    opts.copyTo.end();
    await finished(opts.copyTo);
  }
  return { sha256: hash.digest('hex'), bytes, lines: lines + (bytes > 0 && last !== 0x0a ? 1 : 0) };
};

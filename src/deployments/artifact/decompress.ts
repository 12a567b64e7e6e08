import { createGunzip } from 'node:zlib';
import { ArtifactError } from './artifact-error.js';
import { asBuffer, waitForDrain } from './byte-streams.js';
import { xzDecompress } from './decompress-xz.js';
import { zstdDecompress } from './decompress-zstd.js';

/** Compression of an artifact member, named after mender-artifact's file suffixes. */
export type Compression = 'none' | 'gzip' | 'xz' | 'zstd';

const bySuffix: Record<string, Compression> = { '': 'none', '.gz': 'gzip', '.xz': 'xz', '.zst': 'zstd' };

/** The compression for a `.tar` suffix such as `.gz`, or undefined when unsupported. */
export const compressionForSuffix = (suffix: string): Compression | undefined =>
  Object.hasOwn(bySuffix, suffix) ? bySuffix[suffix] : undefined;

/**
 * The decompressed bytes of `source`, produced as they are read. Corrupt, truncated or
 * over-long compressed data fails with an ArtifactError naming `what`; errors of `source` itself
 * come out unchanged.
 */
export const decompress = (
  compression: Compression,
  source: AsyncIterable<Uint8Array>,
  what: string,
): AsyncIterable<Buffer> => {
  switch (compression) {
    case 'none':
      return passThrough(source);
    case 'gzip':
      return gunzip(source, what);
    case 'xz':
      return xzDecompress(source, what);
    case 'zstd':
      return zstdDecompress(source, what);
  }
};

async function* passThrough(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of source) yield asBuffer(chunk);
}

async function* gunzip(source: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<Buffer> {
  const gz = createGunzip();
  const input = source[Symbol.asyncIterator]();
  let sourceFailure: { error: unknown } | undefined;
  let stopped = false;
  let compressedBytes = 0;
  const feeding = (async () => {
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await input.next();
      } catch (error) {
        sourceFailure = { error };
        gz.destroy();
        return;
      }
      if (stopped) return;
      if (step.done) {
        gz.end();
        return;
      }
      compressedBytes += step.value.byteLength;
      if (!gz.write(step.value) && !(await waitForDrain(gz))) return;
    }
  })();
  let completed = false;
  try {
    try {
      for await (const chunk of gz) yield chunk as Buffer;
    } catch (error) {
      if (sourceFailure) throw sourceFailure.error;
      throw new ArtifactError(`invalid gzip data in ${what}: ${(error as Error).message}`);
    }
    await feeding;
    if (sourceFailure) throw sourceFailure.error;
    // zlib stops at the end of the last gzip member and ignores what follows if it does not
    // look like another member (zero padding, for one); Go's reader would reject it.
    if (gz.bytesWritten !== compressedBytes)
      throw new ArtifactError(`trailing data after the gzip stream in ${what}`);
    completed = true;
  } finally {
    if (!completed) {
      stopped = true;
      gz.destroy();
      Promise.resolve(input.return?.()).catch(() => {});
    }
  }
}

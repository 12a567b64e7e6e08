import type { ArtifactError } from './artifact-error.js';

/** A view of a chunk as a Buffer, without copying. */
export const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/** Reads a small member whole; fails as soon as it grows past `limit`. */
export const collectBytes = async (
  source: AsyncIterable<Uint8Array>,
  limit: number,
  tooBig: () => ArtifactError,
): Promise<Buffer> => {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const chunk of source) {
    length += chunk.byteLength;
    if (length > limit) throw tooBig();
    parts.push(asBuffer(chunk));
  }
  return Buffer.concat(parts, length);
};

/** Passes chunks through until more than `limit` bytes have gone by (decompression bombs). */
export async function* limitBytes(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  tooBig: () => ArtifactError,
): AsyncGenerator<Buffer> {
  let length = 0;
  for await (const chunk of source) {
    length += chunk.byteLength;
    if (length > limit) throw tooBig();
    yield asBuffer(chunk);
  }
}

interface DrainEmitter {
  once(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  off(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
}

/**
 * Waits until a writable wants more data. Resolves false instead of hanging when the writable
 * closes or fails meanwhile (its reader has given up, and the error reaches us from there).
 */
export const waitForDrain = (w: DrainEmitter): Promise<boolean> =>
  new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      w.off('drain', onDrain);
      w.off('close', onClose);
      w.off('error', onClose);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    w.once('drain', onDrain);
    w.once('close', onClose);
    w.once('error', onClose);
  });

const ZEROES = Buffer.alloc(64 * 1024);

const isAllZero = (b: Buffer, from: number, to: number): boolean => {
  for (let at = from; at < to; at += ZEROES.length) {
    const end = Math.min(to, at + ZEROES.length);
    if (b.compare(ZEROES, 0, end - at, at, end) !== 0) return false;
  }
  return true;
};

/** Index where the all-zero suffix of `b` starts (`b.length` when its last byte is not zero). */
export const zeroSuffixStart = (b: Buffer): number => {
  if (b.length === 0 || b[b.length - 1] !== 0) return b.length;
  // Binary search on "b[i..] is all zero", which is monotone in i; each probe is a native memcmp,
  // so zero-heavy payloads (sparse disk images) cost a few compares per chunk, not a JS loop.
  let lo = 0;
  let hi = b.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (isAllZero(b, mid, b.length)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
};

/** Bytes of input kept (by reference, not copied) to tell trailing garbage from truncation. */
const RECENT_BYTES = 16 * 1024;

/**
 * Counts the bytes of a stream and remembers where its last non-zero byte ended. A tar archive
 * must end with at least two zero blocks and nothing but zeros after its last entry; this is
 * what tells a truncated archive, or one with data appended, from a complete one. The last few
 * chunks are kept too, so that an error near the end can look at the bytes it happened after.
 */
export const createZeroTail = () => {
  let total = 0;
  let nonZeroEnd = 0;
  let recent: Buffer[] = [];
  let recentStart = 0;
  return {
    observe(chunk: Buffer): void {
      const suffix = zeroSuffixStart(chunk);
      if (suffix > 0) nonZeroEnd = total + suffix;
      total += chunk.length;
      recent.push(chunk);
      while (recent.length > 1 && total - recentStart - (recent[0]?.length ?? 0) >= RECENT_BYTES) {
        recentStart += recent[0]?.length ?? 0;
        recent = recent.slice(1);
      }
    },
    /** Bytes seen so far. */
    get total(): number {
      return total;
    },
    /** Offset just past the last non-zero byte seen (0 when all were zero). */
    get nonZeroEnd(): number {
      return nonZeroEnd;
    },
    /** Whether bytes [from, to) were all zero; undefined when they are no longer (or not yet) kept. */
    isZero(from: number, to: number): boolean | undefined {
      if (from < recentStart || to > total) return undefined;
      const kept = Buffer.concat(recent);
      return isAllZero(kept, from - recentStart, to - recentStart);
    },
  };
};

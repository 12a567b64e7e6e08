import { ArtifactError } from './artifact-error.js';

/**
 * The largest window we decode with. fzstd allocates the whole window a frame header asks
 * for, up front (up to 2 GiB); libzstd refuses more than 128 MiB by default too (windowLog 27).
 */
export const MAX_ZSTD_WINDOW_BYTES = 128 * 1024 * 1024;
const MAX_BLOCK_BYTES = 128 * 1024;

const FRAME_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC = 0x184d2a50; // low 4 bits vary

type State =
  | { at: 'magic' }
  | { at: 'skip-size' }
  | { at: 'skip'; left: number }
  | { at: 'frame-flags' }
  | { at: 'frame-header'; flags: number; length: number }
  | { at: 'block-header' }
  | { at: 'block'; left: number; last: boolean }
  | { at: 'checksum'; left: number };

/**
 * Follows the framing of a zstd stream (RFC 8878 §3) without decoding it, to check what fzstd
 * does not: the window size (memory), block sizes, dictionaries, and where the stream ends
 * (trailing garbage). `scan` returns the offsets in the chunk just after each block, frame
 * header or skippable frame ends, so the caller can feed the decoder one block at a time and
 * keep the output of each step to one block (a 4-byte RLE block can expand to 128 KiB).
 */
export const createZstdFrameGuard = (what: string) => {
  let state: State = { at: 'magic' };
  let pending: number[] = []; // bytes of a field that straddles chunks
  let frames = 0;
  let windowBytes = 0;
  let checksumBytes = 0;
  let offset = 0;
  const fail = (detail: string) =>
    new ArtifactError(`invalid zstd data in ${detail === '' ? what : `${what}: ${detail}`}`);

  /** Collects `n` bytes of a header field; returns them once complete. */
  const field = (chunk: Uint8Array, n: number): number[] | undefined => {
    while (pending.length < n && offset < chunk.length) pending.push(chunk[offset++] as number);
    if (pending.length < n) return undefined;
    const bytes = pending;
    pending = [];
    return bytes;
  };
  const le = (bytes: number[], from = 0, length = bytes.length - from): number => {
    let v = 0;
    for (let i = length - 1; i >= 0; i--) v = v * 256 + (bytes[from + i] as number);
    return v;
  };

  const frameHeader = (flags: number, bytes: number[]) => {
    const singleSegment = (flags >> 5) & 1;
    const dictionaryIdBytes = [0, 1, 2, 4][flags & 3] as number;
    const contentSizeBytes = [singleSegment, 2, 4, 8][flags >> 6] as number;
    let at = 0;
    if (!singleSegment) {
      const descriptor = bytes[at++] as number;
      const base = 2 ** (10 + (descriptor >> 3));
      windowBytes = base + (base / 8) * (descriptor & 7);
    }
    if (dictionaryIdBytes > 0 && le(bytes, at, dictionaryIdBytes) !== 0)
      throw fail('zstd dictionaries are not supported');
    at += dictionaryIdBytes;
    if (singleSegment) windowBytes = le(bytes, at, contentSizeBytes) + (contentSizeBytes === 2 ? 256 : 0);
    if (windowBytes > MAX_ZSTD_WINDOW_BYTES) throw fail(`window of ${windowBytes} bytes exceeds 128 MiB`);
    checksumBytes = (flags >> 2) & 1 ? 4 : 0;
  };

  const endBlock = (last: boolean, cuts: number[]) => {
    cuts.push(offset);
    if (!last) state = { at: 'block-header' };
    else if (checksumBytes > 0) state = { at: 'checksum', left: checksumBytes };
    else {
      frames++;
      state = { at: 'magic' };
    }
  };

  return {
    scan(chunk: Uint8Array): number[] {
      const cuts: number[] = [];
      offset = 0;
      while (offset < chunk.length) {
        switch (state.at) {
          case 'magic': {
            const bytes = field(chunk, 4);
            if (!bytes) break;
            const magic = le(bytes);
            if (magic === FRAME_MAGIC) state = { at: 'frame-flags' };
            else if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) state = { at: 'skip-size' };
            else
              throw frames === 0
                ? fail('')
                : new ArtifactError(`trailing data after the zstd stream in ${what}`);
            break;
          }
          case 'skip-size': {
            const bytes = field(chunk, 4);
            if (!bytes) break;
            state = { at: 'skip', left: le(bytes) };
            if (state.left === 0) {
              state = { at: 'magic' };
              cuts.push(offset);
            }
            break;
          }
          case 'skip': {
            const n = Math.min(state.left, chunk.length - offset);
            offset += n;
            state = state.left - n === 0 ? { at: 'magic' } : { at: 'skip', left: state.left - n };
            if (state.at === 'magic') cuts.push(offset);
            break;
          }
          case 'frame-flags': {
            const flags = field(chunk, 1)?.[0];
            if (flags === undefined) break;
            if (flags & 0x08) throw fail('reserved frame header bit set');
            const singleSegment = (flags >> 5) & 1;
            const length =
              (singleSegment ? 0 : 1) +
              ([0, 1, 2, 4][flags & 3] as number) +
              ([singleSegment, 2, 4, 8][flags >> 6] as number);
            state = { at: 'frame-header', flags, length }; // never empty: a window or content size follows
            break;
          }
          case 'frame-header': {
            const bytes = field(chunk, state.length);
            if (!bytes) break;
            frameHeader(state.flags, bytes);
            state = { at: 'block-header' };
            cuts.push(offset);
            break;
          }
          case 'block-header': {
            const bytes = field(chunk, 3);
            if (!bytes) break;
            const header = le(bytes);
            const type = (header >> 1) & 3;
            const size = header >>> 3;
            if (type === 3) throw fail('reserved block type');
            if (size > Math.min(windowBytes, MAX_BLOCK_BYTES)) throw fail('block larger than allowed');
            const last = (header & 1) === 1;
            const content = type === 1 ? 1 : size;
            if (content > 0) state = { at: 'block', left: content, last };
            else endBlock(last, cuts); // an empty raw block (an empty frame has one)
            break;
          }
          case 'block': {
            const n = Math.min(state.left, chunk.length - offset);
            offset += n;
            if (state.left - n > 0) state = { at: 'block', left: state.left - n, last: state.last };
            else endBlock(state.last, cuts);
            break;
          }
          case 'checksum': {
            const n = Math.min(state.left, chunk.length - offset);
            offset += n;
            state = state.left - n > 0 ? { at: 'checksum', left: state.left - n } : { at: 'magic' };
            if (state.at === 'magic') {
              frames++;
              cuts.push(offset);
            }
            break;
          }
        }
      }
      return cuts;
    },
    /** Call at the end of the input: it must end between frames, after at least one. */
    finish(): void {
      if (state.at !== 'magic' || pending.length > 0) throw fail('unexpected end of data');
      if (frames === 0) throw fail('no zstd frame');
    },
  };
};

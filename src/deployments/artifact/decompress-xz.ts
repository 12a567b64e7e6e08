import { ReadableStream, type ReadableStreamReadResult } from 'node:stream/web';
import xzDecompressPackage from 'xz-decompress';
import { ArtifactError } from './artifact-error.js';
import { asBuffer } from './byte-streams.js';

// xz-decompress is webpack-built CommonJS: Node's ESM loader cannot see its named export.
const { XzReadableStream } = xzDecompressPackage;

/**
 * xz-decompress runs every stream in one WebAssembly instance and lets one decoder exist at a
 * time (its own mutex; that is also what bounds its memory: one dictionary of at most 64 MiB,
 * though WebAssembly memory, once grown, is not given back). A stream cancelled while it waits
 * for that mutex releases a mutex it does not hold and leaks a decoder, so we queue here first:
 * a stream is only created once the previous one has finished, failed or been cancelled, and
 * the library's mutex is always free by then. xz uploads are therefore decoded one at a time.
 */
let xzQueue: Promise<void> = Promise.resolve();
const takeXzTurn = (): Promise<() => void> => {
  let release!: () => void;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  const turn = xzQueue.then(() => release);
  xzQueue = xzQueue.then(() => done);
  return turn;
};

/** xz-embedded's return codes (xz.h), as reported by get_next_output. */
const xzCodes: Record<string, string> = {
  '2': 'unsupported integrity check',
  '3': 'out of memory',
  '4': 'dictionary larger than 64 MiB',
  '5': 'not xz data',
  '6': 'unsupported xz options',
  '7': 'corrupt data',
  '8': 'unexpected end of data',
};

const describe = (error: unknown, inputEnded: boolean): string => {
  const code = /error code (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (code && xzCodes[code]) return xzCodes[code];
  // The library reads past the end of its input as a TypeError when the data stops early.
  return inputEnded ? 'unexpected end of data' : 'corrupt data';
};

export async function* xzDecompress(source: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<Buffer> {
  const release = await takeXzTurn();
  const input = source[Symbol.asyncIterator]();
  let sourceFailure: { error: unknown } | undefined;
  let inputEnded = false;
  // Pull-based on both sides: the decoder asks for input only when it needs more.
  const compressed = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const step = await input.next();
          if (step.done) {
            inputEnded = true;
            controller.close();
            return;
          }
          controller.enqueue(asBuffer(step.value));
        } catch (error) {
          sourceFailure = { error };
          controller.error(error);
        }
      },
    },
    { highWaterMark: 0 },
  );
  const reader = new XzReadableStream(compressed).getReader();
  let completed = false;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (error) {
        if (sourceFailure) throw sourceFailure.error;
        throw new ArtifactError(`invalid xz data in ${what}: ${describe(error, inputEnded)}`);
      }
      if (step.done) break;
      if (step.value.byteLength > 0) yield asBuffer(step.value);
    }
    // The decoder reads its input to the end (concatenated streams and stream padding are
    // valid .xz, and it rejects anything else), so this only guards against it stopping early.
    for (;;) {
      const step = await input.next();
      if (step.done) break;
      if (step.value.byteLength > 0) throw new ArtifactError(`trailing data after the xz stream in ${what}`);
    }
    completed = true;
  } finally {
    if (!completed) {
      // Cancelling disposes of the decoder and releases the library's mutex.
      await reader.cancel().catch(() => {});
      Promise.resolve(input.return?.()).catch(() => {});
    }
    release();
  }
}

import { Decompress } from 'fzstd';
import { ArtifactError } from './artifact-error.js';
import { asBuffer } from './byte-streams.js';
import { createZstdFrameGuard } from './zstd-frames.js';

/**
 * zstd through fzstd (pure JavaScript; Node 20 has no zstd in zlib). The frame guard vets
 * window sizes and framing first and tells us where blocks end, so each push into the decoder
 * completes at most one block and the memory per step stays at one block (≤ 128 KiB) plus the
 * frame's window (≤ 128 MiB).
 */
export async function* zstdDecompress(
  source: AsyncIterable<Uint8Array>,
  what: string,
): AsyncGenerator<Buffer> {
  const guard = createZstdFrameGuard(what);
  let out: Buffer[] = [];
  const decoder = new Decompress((data) => {
    if (data.byteLength > 0) out.push(asBuffer(data));
  });
  const push = (piece: Uint8Array, final: boolean): Buffer[] => {
    try {
      decoder.push(piece, final);
    } catch (error) {
      throw new ArtifactError(`invalid zstd data in ${what}: ${(error as Error).message}`);
    }
    const produced = out;
    out = [];
    return produced;
  };
  for await (const chunk of source) {
    let from = 0;
    for (const cut of [...guard.scan(chunk), chunk.byteLength]) {
      if (cut > from) yield* push(chunk.subarray(from, cut), false);
      from = cut;
    }
  }
  guard.finish();
  yield* push(new Uint8Array(0), true);
}

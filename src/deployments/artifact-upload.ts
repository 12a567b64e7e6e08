import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from '../blobs/index.js';
import { isAppError } from '../core/errors.js';
import { ArtifactError, type ArtifactMeta, parseArtifact } from './artifact/index.js';
import { deploymentsErrors } from './deployments-errors.js';

/**
 * Buffer of each stage of the upload tee: the 16 KiB default makes backpressure flip on every
 * small chunk (uploads ran at a fraction of loopback speed); three 1 MiB buffers stay bounded.
 */
const STREAM_BUFFER_BYTES = 1024 * 1024;

/** An upload that sends nothing for this long is abandoned. */
export const UPLOAD_IDLE_TIMEOUT_MS = 60_000;

export interface StoredUpload {
  meta: ArtifactMeta;
  size: number;
  /** Makes the blob permanent under `key`; call inside the transaction that records it. */
  commit(key: string): Promise<void>;
  /** Drops the blob (any failure after the upload). */
  abort(): Promise<void>;
}

const clientStreamError = (e: Error): Error => {
  if (isAppError(e)) return e;
  const status = (e as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return e;
  return deploymentsErrors.badUpload(`the upload broke off: ${e.message.slice(0, 200)}`);
};

/**
 * Streams an uploaded artifact to the blob store and through the parser at the same time, with
 * bounded memory whatever the size: `pipeline` applies backpressure from the slower of the two.
 * Nothing is kept if the artifact is malformed, tampered with, truncated or too large.
 */
export const receiveArtifact = async (
  blobs: BlobStore,
  source: Readable,
  opts: { maxBytes: number; declaredSize?: number; idleTimeoutMs?: number },
): Promise<StoredUpload> => {
  const writer = await blobs.createWriter();
  let size = 0;
  // A client that stops sending must not hold the upload (and, for xz, the one decoder) forever.
  const idleMs = opts.idleTimeoutMs ?? UPLOAD_IDLE_TIMEOUT_MS;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => counter.destroy(deploymentsErrors.badUpload(`no data received for ${idleMs / 1000} s`)),
      idleMs,
    );
  };
  const counter = new Transform({
    highWaterMark: STREAM_BUFFER_BYTES,
    transform(chunk: Buffer, _enc, done) {
      armIdle();
      size += chunk.length;
      if (size > opts.maxBytes) done(deploymentsErrors.artifactTooLarge(opts.maxBytes));
      else done(null, chunk);
    },
    flush(done) {
      clearTimeout(idle);
      done();
    },
  });
  armIdle();
  const toParser = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  const toBlob = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  counter.pipe(toParser);
  counter.pipe(toBlob);
  // Not pipeline(source, ...): on failure the source must be drained, not destroyed, so that the
  // client can finish sending and read the error response.
  const fed = new Promise<void>((resolve, reject) => {
    const fail = (e: Error) => {
      toParser.destroy(e);
      toBlob.destroy(e);
      reject(e);
    };
    // The source is the client's request: its errors (a body that ends early, a broken form, a
    // reset) are the client's doing, never a 500.
    source.once('error', (e: Error) => fail(clientStreamError(e)));
    // The form parser may have failed the part while the blob writer was being opened (a body
    // that ends inside the file part): then no 'error' or 'end' is coming, and waiting would hang.
    if (source.errored) return fail(clientStreamError(source.errored));
    if (source.destroyed) return fail(deploymentsErrors.badUpload('the upload broke off'));
    counter.once('error', fail);
    counter.once('end', resolve);
    source.pipe(counter);
  });
  try {
    const [meta] = await Promise.all([parseArtifact(toParser), pipeline(toBlob, writer.stream), fed]);
    if (opts.declaredSize !== undefined && opts.declaredSize !== size) {
      throw deploymentsErrors.badUpload(
        `size field says ${opts.declaredSize} bytes but the artifact has ${size}`,
      );
    }
    clearTimeout(idle);
    return { meta, size, commit: (key) => writer.commit(key), abort: () => writer.abort() };
  } catch (e) {
    clearTimeout(idle);
    source.unpipe(counter);
    counter.destroy();
    toParser.destroy();
    toBlob.destroy();
    // Consume what the client still sends so the connection can carry the error response.
    source.resume();
    await writer.abort();
    if (e instanceof ArtifactError) throw deploymentsErrors.badArtifact(e.message);
    throw e;
  }
};

import type { Readable, Writable } from 'node:stream';

/**
 * Where artifact payloads live. The filesystem implementation keeps them under the data dir; a
 * scale-out deployment points every process at shared storage (an S3-compatible store is a
 * later implementation of the same interface).
 */
export interface BlobStore {
  /** A new blob being written; invisible until commit(). */
  createWriter(): Promise<BlobWriter>;
  /** Size in bytes, or undefined if there is no such blob. */
  size(key: string): Promise<number | undefined>;
  /** Reads a blob, or the inclusive byte range [start, end] of it. */
  open(key: string, range?: { start: number; end: number }): Readable;
  /** The blobs whose keys start with `prefix/` (for consistency checks against the database). */
  list(prefix: string): Promise<{ key: string; size: number; modifiedMs: number }[]>;
  /** Removes a blob; no error if it does not exist. */
  remove(key: string): Promise<void>;
  /**
   * Removes what uploads of crashed processes left behind (never a live process's upload, of
   * this process or another sharing the store). Returns the files and bytes removed.
   */
  removeAbandonedUploads(): Promise<{ files: number; bytes: number }>;
  /** Stops background work and removes this process's temporary area (at shutdown). */
  close(): Promise<void>;
}

export interface BlobWriter {
  readonly stream: Writable;
  /** Makes the written bytes the blob `key` (atomically replacing nothing: keys are new ids). */
  commit(key: string): Promise<void>;
  /** Drops what was written. Safe to call after a failed or finished write, and twice. */
  abort(): Promise<void>;
}

/** Blob keys are relative paths of safe segments (no traversal). */
export const isSafeBlobKey = (key: string): boolean =>
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,4}$/.test(key);

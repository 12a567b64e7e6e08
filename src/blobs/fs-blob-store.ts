import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { type BlobStore, type BlobWriter, isSafeBlobKey } from './blob-store.js';
import { createTempArea } from './fs-blob-tmp.js';

/**
 * Blobs as files under `<root>`: written to `<root>/.tmp/<process>/<random>` and renamed into
 * place on commit, so a reader never sees a half-written blob and an aborted upload leaves
 * nothing; what a crashed process leaves there is removed by removeAbandonedUploads
 * (fs-blob-tmp.ts).
 */
/** Larger than the fs stream default (64 KiB): artifacts are read and written in bulk. */
const IO_BUFFER_BYTES = 1024 * 1024;

export const createFsBlobStore = (root: string): BlobStore => {
  const pathOf = (key: string) => {
    if (!isSafeBlobKey(key)) throw new Error(`invalid blob key: ${key}`);
    return join(root, key);
  };
  const temp = createTempArea(root);
  return {
    async createWriter(): Promise<BlobWriter> {
      const tmp = await temp.newPath();
      const stream = createWriteStream(tmp, { flags: 'wx', mode: 0o600, highWaterMark: IO_BUFFER_BYTES });
      let done = false;
      const closed = () =>
        new Promise<void>((resolve) => {
          if (stream.closed) resolve();
          else stream.once('close', () => resolve());
        });
      return {
        stream,
        async commit(key) {
          const target = pathOf(key);
          await closed();
          await mkdir(dirname(target), { recursive: true, mode: 0o700 });
          await rename(tmp, target);
          done = true;
        },
        async abort() {
          if (done) return;
          done = true;
          if (!stream.destroyed) stream.destroy();
          await closed();
          await rm(tmp, { force: true });
        },
      };
    },
    async size(key) {
      try {
        return (await stat(pathOf(key))).size;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    open(key, range) {
      return createReadStream(pathOf(key), {
        highWaterMark: IO_BUFFER_BYTES,
        ...(range ? { start: range.start, end: range.end } : {}),
      });
    },
    async list(prefix) {
      const dir = pathOf(prefix);
      const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return [];
          throw e;
        },
      );
      const out: { key: string; size: number; modifiedMs: number }[] = [];
      for (const e of entries) {
        if (!e.isFile()) continue;
        const path = join(e.parentPath, e.name);
        const s = await stat(path).catch(() => undefined);
        if (s)
          out.push({ key: relative(root, path).split(sep).join('/'), size: s.size, modifiedMs: s.mtimeMs });
      }
      return out;
    },
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
    removeAbandonedUploads: () => temp.removeAbandoned(),
    close: () => temp.close(),
  };
};

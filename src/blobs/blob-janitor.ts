import type { Logger } from '../core/logger.js';
import type { BlobStore } from './blob-store.js';
import { STALE_MS } from './fs-blob-tmp.js';

/**
 * `serve` removes the temporary files of crashed uploads at start (before it listens) and then
 * every STALE_MS, so that a process that died on another host is cleaned up by whoever runs.
 */
export const startUploadJanitor = async (
  blobs: BlobStore,
  logger: Logger,
  everyMs = STALE_MS,
): Promise<{ stop(): void }> => {
  const run = async () => {
    try {
      const { files, bytes } = await blobs.removeAbandonedUploads();
      if (files > 0) logger.warn({ files, bytes }, 'removed temporary upload files of a crashed process');
    } catch (err) {
      logger.error({ err }, 'could not remove temporary upload files of crashed processes');
    }
  };
  await run();
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};

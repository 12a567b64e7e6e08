import type { Logger } from '../core/logger.js';
import type { BlobStore } from './blob-store.js';
import { STALE_MS } from './fs-blob-tmp.js';

const ORPHANS_EVERY_MS = 6 * 60 * 60 * 1000;

/**
 * What `serve` cleans after crashes, at start (before it listens) and then periodically, so that
 * a process that died on another host is cleaned up by whoever runs:
 * - temporary files of uploads a dead process left (every STALE_MS);
 * - blobs no row names (`removeOrphanBlobs`, from the domain that owns the rows; every 6 h).
 */
export const startStorageJanitor = async (deps: {
  blobs: BlobStore;
  logger: Logger;
  removeOrphanBlobs: () => Promise<{ blobs: number; bytes: number }>;
}): Promise<{ stop(): void }> => {
  const { logger } = deps;
  const temps = async () => {
    try {
      const { files, bytes } = await deps.blobs.removeAbandonedUploads();
      if (files > 0) logger.warn({ files, bytes }, 'removed temporary upload files of a crashed process');
    } catch (err) {
      logger.error({ err }, 'could not remove temporary upload files of crashed processes');
    }
  };
  const orphans = async () => {
    try {
      const { blobs, bytes } = await deps.removeOrphanBlobs();
      if (blobs > 0) logger.warn({ blobs, bytes }, 'removed blobs that no artifact names (left by a crash)');
    } catch (err) {
      logger.error({ err }, 'could not look for blobs that no artifact names');
    }
  };
  await temps();
  await orphans();
  const timers = [
    setInterval(() => void temps(), STALE_MS),
    setInterval(() => void orphans(), ORPHANS_EVERY_MS),
  ];
  for (const t of timers) t.unref();
  return { stop: () => timers.forEach(clearInterval) };
};

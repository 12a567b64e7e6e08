import type { BlobStore } from '../blobs/index.js';
import type { Executor } from '../store/store.js';
import { artifactBlobKeys } from './deployments-repo-artifacts.js';

/**
 * An artifact's blob is put in place just before its row commits, and removed just after its row
 * is deleted (deployments-service-artifacts.ts): a process killed between the two leaves a blob
 * that no row names, possibly gigabytes. `serve` looks for such blobs at start and removes those
 * older than `graceMs` (an upload committing right now on another process is younger).
 */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export const removeOrphanArtifactBlobs = async (
  db: Executor,
  blobs: BlobStore,
  opts: { nowMs: number; graceMs?: number },
): Promise<{ blobs: number; bytes: number }> => {
  const cutoff = opts.nowMs - (opts.graceMs ?? ORPHAN_GRACE_MS);
  const stored = (await blobs.list('artifacts')).filter((b) => b.modifiedMs < cutoff);
  if (stored.length === 0) return { blobs: 0, bytes: 0 };
  const named = await artifactBlobKeys(db);
  const orphans = stored.filter((b) => !named.has(b.key));
  for (const b of orphans) await blobs.remove(b.key);
  return { blobs: orphans.length, bytes: orphans.reduce((n, b) => n + b.size, 0) };
};

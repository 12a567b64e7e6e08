import type { Executor } from '../store/store.js';
import { findArtifactById } from './deployments-repo-artifacts.js';
import type { Artifact } from './deployments-types.js';

/** What the artifact download route (deployments-routes-download.ts) reads: the artifact a signed link names. */
export const createArtifactDownloads = (db: Executor) => ({
  artifact: (id: string): Promise<Artifact | undefined> => findArtifactById(db, id),
});
export type ArtifactDownloads = ReturnType<typeof createArtifactDownloads>;

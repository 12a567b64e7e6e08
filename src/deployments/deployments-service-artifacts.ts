import type { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/index.js';
import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { recordEvent } from '../events/index.js';
import { lockKey } from '../store/conflicts.js';
import { isUniqueViolation, type Store } from '../store/store.js';
import { removeOrphanArtifactBlobs } from './artifact-orphans.js';
import { receiveArtifact } from './artifact-upload.js';
import { deploymentsErrors } from './deployments-errors.js';
import {
  type ArtifactQuery,
  deleteArtifactRow,
  dependsCombinations,
  findArtifact,
  findArtifactById,
  findConflictingArtifact,
  insertArtifact,
  listArtifacts,
  setArtifactDescription,
} from './deployments-repo-artifacts.js';
import { hasUnfinishedDeploymentOf } from './deployments-repo-deployments.js';
import { dropReleaseIfEmpty } from './deployments-repo-releases.js';
import type { Artifact } from './deployments-types.js';
import type { DownloadLinks } from './download-links.js';

export const MAX_DESCRIPTION_LENGTH = 4096;
/** Links handed to users for downloading an artifact (Mender: 15 minutes). */
export const USER_LINK_TTL_MS = 15 * 60 * 1000;

export interface ArtifactsService {
  upload(
    tenantId: string,
    input: { source: Readable; description: string; declaredSize?: number; id?: string },
  ): Promise<Artifact>;
  list(tenantId: string, q: ArtifactQuery): Promise<{ artifacts: Artifact[]; total: number }>;
  get(tenantId: string, id: string): Promise<Artifact>;
  setDescription(tenantId: string, id: string, description: string): Promise<void>;
  remove(tenantId: string, id: string): Promise<void>;
  downloadLink(tenantId: string, id: string, baseUrl: string): Promise<{ uri: string; expire: string }>;
  /** Removes blobs that no artifact names (a crash between blob and row), see artifact-orphans.ts. */
  removeOrphanBlobs(): Promise<{ blobs: number; bytes: number }>;
}

export const createArtifactsService = (deps: {
  store: Store;
  clock: Clock;
  blobs: BlobStore;
  links: DownloadLinks;
  maxArtifactBytes: number;
  logger: Pick<Logger, 'warn'>;
}): ArtifactsService => {
  const { store, clock, blobs, links } = deps;
  const db = store.db;

  const mustGet = async (tenantId: string, id: string) => {
    const a = isUuid(id) ? await findArtifact(db, tenantId, id) : undefined;
    if (!a) throw deploymentsErrors.artifactNotFound();
    return a;
  };

  const conflictBody = (a: Artifact | undefined, name: string, depends: Record<string, string[]>) => ({
    ...(a ? { id: a.id } : {}),
    name,
    depends,
  });

  return {
    async upload(tenantId, input) {
      if (input.description.length > MAX_DESCRIPTION_LENGTH) {
        throw deploymentsErrors.badUpload(`description longer than ${MAX_DESCRIPTION_LENGTH} characters`);
      }
      if (input.id !== undefined && !isUuid(input.id))
        throw deploymentsErrors.badUpload('artifact_id must be a UUID');
      const received = await receiveArtifact(blobs, input.source, {
        maxBytes: deps.maxArtifactBytes,
        declaredSize: input.declaredSize,
      });
      const { meta } = received;
      let committedKey: string | undefined;
      try {
        const depends = { ...meta.depends, device_type: meta.deviceTypesCompatible };
        const combos = dependsCombinations(depends);
        if (!combos) throw deploymentsErrors.badArtifact('too many combinations of depends values');
        const nowMs = clock.nowMs();
        const id = input.id?.toLowerCase() ?? newId();
        const artifact: Artifact = {
          id,
          tenantId,
          name: meta.name,
          description: input.description,
          deviceTypes: meta.deviceTypesCompatible,
          info: meta.info,
          signed: meta.signed,
          updates: meta.updates,
          provides: meta.provides,
          depends,
          clearsProvides: meta.clearsProvides,
          size: received.size,
          blobKey: `artifacts/${tenantId}/${id}`,
          createdAt: nowMs,
          modifiedAt: nowMs,
        };
        await db.transaction().execute(async (tx) => {
          // Artifact ids are unique across tenants: an id in use is refused the same way whoever
          // holds it, so the answer says nothing about other tenants (docs/adr/0002-tenancy.md).
          if (input.id !== undefined && (await findArtifactById(tx, id)))
            throw deploymentsErrors.artifactIdInUse();
          const conflict = await findConflictingArtifact(
            tx,
            tenantId,
            meta.name,
            combos.map((c) => c.key),
          );
          if (conflict)
            throw deploymentsErrors.duplicateArtifact(
              conflictBody(await findArtifact(tx, tenantId, conflict), meta.name, depends),
            );
          try {
            await insertArtifact(tx, artifact, combos);
          } catch (e) {
            // Two uploads of one artifact racing: the unique index decides.
            if (isUniqueViolation(e))
              throw deploymentsErrors.duplicateArtifact(conflictBody(undefined, meta.name, depends));
            throw e;
          }
          await recordEvent(tx, {
            tenantId,
            type: 'artifact.uploaded',
            payload: { artifact_id: id, name: meta.name, device_types: meta.deviceTypesCompatible },
            nowMs,
          });
          // The blob becomes permanent before the row commits; if the commit fails it is removed below.
          await received.commit(artifact.blobKey);
          committedKey = artifact.blobKey;
        });
        return artifact;
      } catch (e) {
        await received.abort();
        // The row did not commit: the blob is an orphan. Failing to remove it must not replace
        // the real error, but it is said (the file stays until removed by hand).
        if (committedKey)
          await blobs
            .remove(committedKey)
            .catch((err: unknown) =>
              deps.logger.warn({ err, blobKey: committedKey }, 'orphan artifact blob could not be removed'),
            );
        throw e;
      }
    },

    list: (tenantId, q) => listArtifacts(db, tenantId, q),
    get: mustGet,

    async setDescription(tenantId, id, description) {
      if (description.length > MAX_DESCRIPTION_LENGTH) {
        throw deploymentsErrors.badUpload(`description longer than ${MAX_DESCRIPTION_LENGTH} characters`);
      }
      if (!isUuid(id) || !(await setArtifactDescription(db, tenantId, id, description, clock.nowMs()))) {
        throw deploymentsErrors.artifactNotFound();
      }
    },

    async remove(tenantId, id) {
      const artifact = await mustGet(tenantId, id);
      await db.transaction().execute(async (tx) => {
        // Under the lock every change of the tenant's releases takes first, a new deployment's
        // artifact check included: a deployment of this artifact is either seen here (409) or
        // created after the delete, when it finds no artifact (deployments-service-mgmt.ts).
        // The release goes with its last artifact (its tags and notes).
        await lockKey(tx, `release:${tenantId}`);
        if (await hasUnfinishedDeploymentOf(tx, tenantId, artifact.name))
          throw deploymentsErrors.artifactInUse();
        // A concurrent delete removed it first (and recorded its event).
        if (!(await deleteArtifactRow(tx, tenantId, id))) throw deploymentsErrors.artifactNotFound();
        await dropReleaseIfEmpty(tx, tenantId, artifact.name);
        await recordEvent(tx, {
          tenantId,
          type: 'artifact.deleted',
          payload: { artifact_id: id, name: artifact.name },
          nowMs: clock.nowMs(),
        });
      });
      await blobs.remove(artifact.blobKey);
    },

    removeOrphanBlobs: () => removeOrphanArtifactBlobs(db, blobs, { nowMs: clock.nowMs() }),

    async downloadLink(tenantId, id, baseUrl) {
      const a = await mustGet(tenantId, id);
      const expiresAtMs = clock.nowMs() + USER_LINK_TTL_MS;
      return {
        uri: links.make(baseUrl, { tenantId, artifactId: a.id, deploymentId: '', deviceId: '', expiresAtMs }),
        expire: new Date(expiresAtMs).toISOString(),
      };
    },
  };
};

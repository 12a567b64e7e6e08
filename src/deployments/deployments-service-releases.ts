import type { BlobStore } from '../blobs/index.js';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { recordEvent } from '../events/index.js';
import { lockKey } from '../store/conflicts.js';
import type { Store } from '../store/store.js';
import { deleteArtifactRow } from './deployments-repo-artifacts.js';
import {
  artifactsOfReleases,
  countTenantTags,
  dropReleases,
  type ReleaseSummary,
  releaseExists,
  releaseSummaries,
  replaceReleaseTags,
  setReleaseNotes,
  tenantTags,
  unfinishedDeploymentsOf,
} from './deployments-repo-releases.js';
import type { Artifact } from './deployments-types.js';

// Releases (deployments v2, as Mender's web UI lists them): the artifacts of one name, with tags
// and notes of their own. Mender's limits: 20 tags per release, 100 different tags per tenant,
// notes of 1,024 characters.

export const MAX_RELEASE_TAGS = 20;
export const MAX_TENANT_TAGS = 100;
export const MAX_TAG_LENGTH = 255;
export const MAX_NOTES_LENGTH = 1024;
/** Largest number of artifacts a tenant may have for its releases to be listed. */
export const MAX_LISTED_ARTIFACTS = 20_000;
/** Release names one DELETE may name. */
export const MAX_DELETED_RELEASES = 100;
const TAG_RE = /^[A-Za-z0-9_.-]+$/;

export const releaseSorts = [
  'name:asc',
  'name:desc',
  'modified:asc',
  'modified:desc',
  'artifacts_count:asc',
  'artifacts_count:desc',
  'tags:asc',
  'tags:desc',
] as const;
export type ReleaseSort = (typeof releaseSorts)[number];

export const releasesErrors = {
  notFound: () => new AppError('DEPLOYMENTS_RELEASE_NOT_FOUND', 404, 'release not found'),
  badTag: () =>
    new AppError(
      'DEPLOYMENTS_BAD_RELEASE_TAG',
      400,
      `tags: at most ${MAX_RELEASE_TAGS}, each 1 to ${MAX_TAG_LENGTH} letters, digits, '_', '.' or '-'`,
    ),
  tooManyTags: () =>
    new AppError('DEPLOYMENTS_TOO_MANY_TAGS', 409, 'the total number of unique tags has been exceeded'),
  tooManyArtifacts: () =>
    new AppError(
      'DEPLOYMENTS_TOO_MANY_ARTIFACTS',
      422,
      `releases are listed for tenants of at most ${MAX_LISTED_ARTIFACTS} artifacts; list artifacts instead`,
    ),
  noNames: () =>
    new AppError('DEPLOYMENTS_NO_RELEASE_NAME', 400, 'at least one release name has to be provided'),
  /** Mender's 409 body: the unfinished deployments, so that the caller can abort or wait for them. */
  usedByDeployments: (ids: string[]) =>
    new AppError('DEPLOYMENTS_RELEASE_IN_USE', 409, 'release(s) used in active deployment', {
      body: { active_deployments: ids },
    }),
};

export interface Release extends Omit<ReleaseSummary, 'types' | 'deviceTypes' | 'descriptions'> {
  artifacts: Artifact[];
}

export interface ReleaseQuery {
  /** Case-insensitive part of the name. */
  name?: string;
  /** Releases with any of these tags. */
  tags?: string[];
  updateType?: string;
  /** Releases with an artifact compatible with this device type. */
  deviceType?: string;
  /** Case-insensitive part of one of its artifacts' descriptions. */
  description?: string;
  sort: ReleaseSort;
  offset: number;
  limit: number;
}

const compare = (sort: ReleaseSort) => {
  const [by, dir] = sort.split(':') as [string, 'asc' | 'desc'];
  const sign = dir === 'desc' ? -1 : 1;
  const key = (r: ReleaseSummary): number | string =>
    by === 'modified'
      ? r.modifiedAt
      : by === 'artifacts_count'
        ? r.artifactsCount
        : by === 'tags'
          ? r.tags.join(',')
          : r.name;
  return (a: ReleaseSummary, b: ReleaseSummary): number => {
    const ka = key(a);
    const kb = key(b);
    if (ka !== kb) return (ka < kb ? -1 : 1) * sign;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
};

export const checkTags = (tags: string[]): string[] => {
  const unique = [...new Set(tags)];
  if (unique.length > MAX_RELEASE_TAGS || unique.some((t) => t.length > MAX_TAG_LENGTH || !TAG_RE.test(t)))
    throw releasesErrors.badTag();
  return unique.sort();
};

export const createReleasesService = (deps: {
  store: Store;
  clock: Clock;
  blobs: Pick<BlobStore, 'remove'>;
  logger: Pick<Logger, 'warn'>;
}) => {
  const { store, clock } = deps;
  const db = store.db;

  const summaries = async (tenantId: string) => {
    const all = await releaseSummaries(db, tenantId, MAX_LISTED_ARTIFACTS);
    if (!all) throw releasesErrors.tooManyArtifacts();
    return all;
  };

  const withArtifacts = async (tenantId: string, page: ReleaseSummary[]): Promise<Release[]> => {
    const artifacts = await artifactsOfReleases(
      db,
      tenantId,
      page.map((r) => r.name),
    );
    return page.map(({ types: _t, deviceTypes: _d, descriptions: _s, ...r }) => ({
      ...r,
      artifacts: artifacts.filter((a) => a.name === r.name),
    }));
  };

  /** Changes what a release carries, serialised with others on the same release (and tenant's tags). */
  const onRelease = async (tenantId: string, name: string, fn: (tx: typeof db) => Promise<void>) =>
    db.transaction().execute(async (tx) => {
      await lockKey(tx, `release:${tenantId}`);
      if (!(await releaseExists(tx, tenantId, name))) throw releasesErrors.notFound();
      await fn(tx);
    });

  return {
    async list(tenantId: string, q: ReleaseQuery): Promise<{ releases: Release[]; total: number }> {
      const needle = q.name?.toLowerCase();
      const tags = q.tags && q.tags.length > 0 ? new Set(q.tags) : undefined;
      const described = q.description?.toLowerCase();
      const matching = (await summaries(tenantId))
        .filter(
          (r) =>
            (needle === undefined || r.name.toLowerCase().includes(needle)) &&
            (tags === undefined || r.tags.some((t) => tags.has(t))) &&
            (q.updateType === undefined || r.types.has(q.updateType)) &&
            (q.deviceType === undefined || r.deviceTypes.has(q.deviceType)) &&
            (described === undefined || r.descriptions.some((d) => d.includes(described))),
        )
        .sort(compare(q.sort));
      return {
        releases: await withArtifacts(tenantId, matching.slice(q.offset, q.offset + q.limit)),
        total: matching.length,
      };
    },

    async get(tenantId: string, name: string): Promise<Release> {
      const r = (await summaries(tenantId)).find((s) => s.name === name);
      if (!r) throw releasesErrors.notFound();
      return (await withArtifacts(tenantId, [r]))[0] as Release;
    },

    async setTags(tenantId: string, name: string, tags: string[]): Promise<void> {
      const wanted = checkTags(tags);
      await onRelease(tenantId, name, async (tx) => {
        await replaceReleaseTags(tx, tenantId, name, wanted);
        if ((await countTenantTags(tx, tenantId)) > MAX_TENANT_TAGS) throw releasesErrors.tooManyTags();
      });
    },

    async setNotes(tenantId: string, name: string, notes: string): Promise<void> {
      await onRelease(tenantId, name, (tx) => setReleaseNotes(tx, tenantId, name, notes, clock.nowMs()));
    },

    tags: (tenantId: string): Promise<string[]> => tenantTags(db, tenantId),

    /**
     * Deletes every artifact of the named releases, with their tags and notes, as one change:
     * nothing when an unfinished deployment uses one of them (409 naming those deployments).
     * Names without artifacts are no error (Mender's answer is 204 too). As a single artifact's
     * delete: rows and events in one transaction, blobs after the commit (a crash in between
     * leaves blobs that the start-up sweep removes, artifact-orphans.ts).
     */
    async remove(tenantId: string, names: string[]): Promise<void> {
      const wanted = [...new Set(names)];
      if (wanted.length === 0) throw releasesErrors.noNames();
      const removed = await db.transaction().execute(async (tx) => {
        // The release lock first, as every change of a tenant's releases takes it (a single
        // artifact's delete, a new deployment's artifact check): a deployment created meanwhile
        // is either seen here (409) or waits and then finds no artifact. Artifacts in name and
        // id order.
        await lockKey(tx, `release:${tenantId}`);
        const active = await unfinishedDeploymentsOf(tx, tenantId, wanted);
        if (active.length > 0) throw releasesErrors.usedByDeployments(active);
        const nowMs = clock.nowMs();
        const gone = [];
        for (const a of await artifactsOfReleases(tx, tenantId, wanted)) {
          // A concurrent delete that removed it first recorded its event.
          if (!(await deleteArtifactRow(tx, tenantId, a.id))) continue;
          await recordEvent(tx, {
            tenantId,
            type: 'artifact.deleted',
            payload: { artifact_id: a.id, name: a.name },
            nowMs,
          });
          gone.push(a);
        }
        await dropReleases(tx, tenantId, wanted);
        return gone;
      });
      for (const a of removed)
        await deps.blobs.remove(a.blobKey).catch((err: unknown) =>
          // The row is gone: the start-up sweep removes the blob (artifact-orphans.ts).
          deps.logger.warn({ err, blobKey: a.blobKey }, 'artifact blob could not be removed'),
        );
    },

    async types(tenantId: string): Promise<string[]> {
      const types = new Set<string>();
      for (const r of await summaries(tenantId)) for (const t of r.types) types.add(t);
      return [...types].sort();
    },
  };
};

export type ReleasesService = ReturnType<typeof createReleasesService>;

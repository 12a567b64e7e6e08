import { type Executor, num } from '../store/store.js';
import { toArtifact } from './deployments-repo-artifacts.js';
import type { Artifact } from './deployments-types.js';

// Releases: the artifacts of one name, with the tags and notes set on them (migration 0015).
// A release exists while an artifact has its name.

/** What a release list sorts and filters by, from a light read of the tenant's artifacts. */
export interface ReleaseSummary {
  name: string;
  modifiedAt: number;
  artifactsCount: number;
  /** Update types (`type_info.type` on the wire) of its artifacts. */
  types: Set<string>;
  /** Device types its artifacts are compatible with. */
  deviceTypes: Set<string>;
  /** Its artifacts' descriptions, lower-cased (for the v1 list's filter). */
  descriptions: string[];
  tags: string[];
  notes: string;
}

/**
 * Every release of the tenant, or undefined when it has more than `maxArtifacts` artifacts.
 * Reads names, times and update types only (not files or metadata).
 */
export const releaseSummaries = async (
  db: Executor,
  tenantId: string,
  maxArtifacts: number,
): Promise<ReleaseSummary[] | undefined> => {
  const rows = await db
    .selectFrom('artifacts')
    .select(['name', 'modified_at', 'updates', 'device_types', 'description'])
    .where('tenant_id', '=', tenantId)
    .limit(maxArtifacts + 1)
    .execute();
  if (rows.length > maxArtifacts) return undefined;
  const byName = new Map<string, ReleaseSummary>();
  for (const r of rows) {
    let s = byName.get(r.name);
    if (!s) {
      s = {
        name: r.name,
        modifiedAt: 0,
        artifactsCount: 0,
        types: new Set(),
        deviceTypes: new Set(),
        descriptions: [],
        tags: [],
        notes: '',
      };
      byName.set(r.name, s);
    }
    s.artifactsCount++;
    s.modifiedAt = Math.max(s.modifiedAt, num(r.modified_at));
    for (const t of JSON.parse(r.device_types) as string[]) s.deviceTypes.add(t);
    if (r.description !== '') s.descriptions.push(r.description.toLowerCase());
    for (const u of JSON.parse(r.updates) as Artifact['updates']) {
      const t = u.typeInfo?.type;
      if (typeof t === 'string') s.types.add(t);
    }
  }
  const tags = await db
    .selectFrom('release_tags')
    .select(['release_name', 'tag'])
    .where('tenant_id', '=', tenantId)
    .orderBy('tag')
    .execute();
  for (const t of tags) byName.get(t.release_name)?.tags.push(t.tag);
  const notes = await db
    .selectFrom('release_notes')
    .select(['release_name', 'notes'])
    .where('tenant_id', '=', tenantId)
    .execute();
  for (const n of notes) {
    const s = byName.get(n.release_name);
    if (s) s.notes = n.notes;
  }
  return [...byName.values()];
};

/** The artifacts of the named releases, by name then id. */
export const artifactsOfReleases = async (
  db: Executor,
  tenantId: string,
  names: string[],
): Promise<Artifact[]> => {
  if (names.length === 0) return [];
  const rows = await db
    .selectFrom('artifacts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', 'in', names)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(toArtifact);
};

export const releaseExists = async (db: Executor, tenantId: string, name: string): Promise<boolean> =>
  (await db
    .selectFrom('artifacts')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .limit(1)
    .executeTakeFirst()) !== undefined;

export const replaceReleaseTags = async (
  db: Executor,
  tenantId: string,
  name: string,
  tags: string[],
): Promise<void> => {
  await db
    .deleteFrom('release_tags')
    .where('tenant_id', '=', tenantId)
    .where('release_name', '=', name)
    .execute();
  if (tags.length > 0)
    await db
      .insertInto('release_tags')
      .values(tags.map((tag) => ({ tenant_id: tenantId, release_name: name, tag })))
      .execute();
};

/** How many different tags the tenant's releases carry. */
export const countTenantTags = async (db: Executor, tenantId: string): Promise<number> => {
  const r = await db
    .selectFrom('release_tags')
    .select((eb) => eb.fn.count<number | string>('tag').distinct().as('n'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return num(r.n);
};

/** The tenant's release tags, sorted, each once. */
export const tenantTags = async (db: Executor, tenantId: string): Promise<string[]> =>
  (
    await db
      .selectFrom('release_tags')
      .select('tag')
      .distinct()
      .where('tenant_id', '=', tenantId)
      .orderBy('tag')
      .execute()
  ).map((r) => r.tag);

export const setReleaseNotes = async (
  db: Executor,
  tenantId: string,
  name: string,
  notes: string,
  nowMs: number,
): Promise<void> => {
  await db
    .insertInto('release_notes')
    .values({ tenant_id: tenantId, release_name: name, notes, updated_at: nowMs })
    .onConflict((oc) => oc.columns(['tenant_id', 'release_name']).doUpdateSet({ notes, updated_at: nowMs }))
    .execute();
};

/** Removes a release's tags and notes once no artifact has its name. */
export const dropReleaseIfEmpty = async (db: Executor, tenantId: string, name: string): Promise<void> => {
  if (await releaseExists(db, tenantId, name)) return;
  await db
    .deleteFrom('release_tags')
    .where('tenant_id', '=', tenantId)
    .where('release_name', '=', name)
    .execute();
  await db
    .deleteFrom('release_notes')
    .where('tenant_id', '=', tenantId)
    .where('release_name', '=', name)
    .execute();
};

/** Unfinished deployments of any of these releases (artifact names), oldest first. */
export const unfinishedDeploymentsOf = async (
  db: Executor,
  tenantId: string,
  names: string[],
): Promise<string[]> =>
  (
    await db
      .selectFrom('deployments')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('artifact_name', 'in', names)
      .where('status', '!=', 'finished')
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  ).map((r) => r.id);

/**
 * Removes the tags and notes of releases that no artifact names any more (of these names),
 * under the release lock (deployments-service-releases.ts).
 */
export const dropReleases = async (db: Executor, tenantId: string, names: string[]): Promise<void> => {
  for (const name of names) await dropReleaseIfEmpty(db, tenantId, name);
};

import { sha256Hex } from '../core/hash.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';
import type { Artifact } from './deployments-types.js';

export const toArtifact = (r: TableRow<'artifacts'>): Artifact => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  description: r.description,
  deviceTypes: JSON.parse(r.device_types) as string[],
  info: JSON.parse(r.info) as Artifact['info'],
  signed: Number(r.signed) === 1,
  updates: JSON.parse(r.updates) as Artifact['updates'],
  provides: JSON.parse(r.provides) as Artifact['provides'],
  depends: JSON.parse(r.depends) as Artifact['depends'],
  clearsProvides: JSON.parse(r.clears_provides) as string[],
  size: num(r.size),
  blobKey: r.blob_key,
  createdAt: num(r.created_at),
  modifiedAt: num(r.modified_at),
});

export const MAX_DEPENDS_COMBINATIONS = 4096;

/**
 * Every combination of one value per depends key (device_type × the other depends). Two
 * artifacts of one name conflict when they share a combination: a device could not tell them
 * apart. Returns undefined when there are too many combinations to index.
 */
export const dependsCombinations = (
  depends: Record<string, string[]>,
): { key: string; deviceType: string }[] | undefined => {
  const keys = Object.keys(depends).sort();
  let combos: Record<string, string>[] = [{}];
  for (const k of keys) {
    const values = [...new Set(depends[k] ?? [])];
    if (values.length === 0) continue;
    const next: Record<string, string>[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [k]: v });
    if (next.length > MAX_DEPENDS_COMBINATIONS) return undefined;
    combos = next;
  }
  return combos.map((c) => ({ key: sha256Hex(JSON.stringify(c)), deviceType: c.device_type ?? '' }));
};

export const insertArtifact = async (
  tx: Executor,
  a: Artifact,
  combos: { key: string; deviceType: string }[],
) => {
  await tx
    .insertInto('artifacts')
    .values({
      id: a.id,
      tenant_id: a.tenantId,
      name: a.name,
      description: a.description,
      device_types: JSON.stringify(a.deviceTypes),
      info: JSON.stringify(a.info),
      signed: a.signed ? 1 : 0,
      updates: JSON.stringify(a.updates),
      provides: JSON.stringify(a.provides),
      depends: JSON.stringify(a.depends),
      clears_provides: JSON.stringify(a.clearsProvides),
      size: a.size,
      blob_key: a.blobKey,
      created_at: a.createdAt,
      modified_at: a.modifiedAt,
    })
    .execute();
  for (let i = 0; i < combos.length; i += 500) {
    await tx
      .insertInto('artifact_depends_keys')
      .values(
        combos.slice(i, i + 500).map((c) => ({
          artifact_id: a.id,
          tenant_id: a.tenantId,
          name: a.name,
          depends_key: c.key,
          device_type: c.deviceType,
        })),
      )
      .execute();
  }
};

/** An artifact of this name already holding one of these depends combinations. */
export const findConflictingArtifact = async (
  db: Executor,
  tenantId: string,
  name: string,
  keys: string[],
): Promise<string | undefined> => {
  for (let i = 0; i < keys.length; i += 500) {
    const r = await db
      .selectFrom('artifact_depends_keys')
      .select('artifact_id')
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .where('depends_key', 'in', keys.slice(i, i + 500))
      .limit(1)
      .executeTakeFirst();
    if (r) return r.artifact_id;
  }
  return undefined;
};

export const findArtifact = async (
  db: Executor,
  tenantId: string,
  id: string,
): Promise<Artifact | undefined> => {
  const r = await db
    .selectFrom('artifacts')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toArtifact(r) : undefined;
};

/** Looked up by id alone: the download handler learns the tenant from the artifact. */
export const findArtifactById = async (db: Executor, id: string): Promise<Artifact | undefined> => {
  const r = await db.selectFrom('artifacts').selectAll().where('id', '=', id).executeTakeFirst();
  return r ? toArtifact(r) : undefined;
};

/** The tenant's artifacts of these ids (those that still exist), by id. */
export const artifactsByIds = async (
  db: Executor,
  tenantId: string,
  ids: readonly string[],
): Promise<Map<string, Artifact>> => {
  const out = new Map<string, Artifact>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('artifacts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', unique.slice(i, i + 500))
      .execute();
    for (const r of rows) out.set(r.id, toArtifact(r));
  }
  return out;
};

export const artifactsNamed = async (db: Executor, tenantId: string, name: string): Promise<Artifact[]> =>
  (
    await db
      .selectFrom('artifacts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('name', '=', name)
      .orderBy('size')
      .orderBy('id')
      .execute()
  ).map(toArtifact);

export interface ArtifactQuery {
  name?: string;
  description?: string;
  deviceType?: string;
  /** v2 list: any of these exact names. */
  names?: string[];
  /** v2 list (`foo*`): a case-sensitive prefix, the same on both dialects (substr, not LIKE). */
  namePrefix?: string;
  descriptionPrefix?: string;
  deviceTypePrefix?: string;
  sort: { by: 'name' | 'modified'; desc: boolean };
  offset: number;
  limit: number;
}

export const listArtifacts = async (
  db: Executor,
  tenantId: string,
  q: ArtifactQuery,
): Promise<{ artifacts: Artifact[]; total: number }> => {
  let base = db.selectFrom('artifacts').where('tenant_id', '=', tenantId);
  if (q.name !== undefined) base = base.where('name', '=', q.name);
  if (q.description !== undefined) base = base.where('description', '=', q.description);
  if (q.names && q.names.length > 0) base = base.where('name', 'in', q.names);
  const np = q.namePrefix;
  if (np !== undefined)
    base = base.where((eb) => eb(eb.fn('substr', ['name', eb.val(1), eb.val(np.length)]), '=', np));
  const dp = q.descriptionPrefix;
  if (dp !== undefined)
    base = base.where((eb) => eb(eb.fn('substr', ['description', eb.val(1), eb.val(dp.length)]), '=', dp));
  if (q.deviceType !== undefined || q.deviceTypePrefix !== undefined) {
    const dt = q.deviceType;
    const tp = q.deviceTypePrefix;
    base = base.where('id', 'in', (eb) => {
      let sub = eb
        .selectFrom('artifact_depends_keys')
        .select('artifact_id')
        .where('tenant_id', '=', tenantId);
      if (dt !== undefined) sub = sub.where('device_type', '=', dt);
      if (tp !== undefined)
        sub = sub.where((e) => e(e.fn('substr', ['device_type', e.val(1), e.val(tp.length)]), '=', tp));
      return sub;
    });
  }
  const total = num(
    (await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n,
  );
  const column = q.sort.by === 'name' ? 'name' : 'modified_at';
  const rows = await base
    .selectAll()
    .orderBy(column, q.sort.desc ? 'desc' : 'asc')
    .orderBy('id')
    .offset(q.offset)
    .limit(q.limit)
    .execute();
  return { artifacts: rows.map(toArtifact), total };
};

export const setArtifactDescription = async (
  db: Executor,
  tenantId: string,
  id: string,
  description: string,
  nowMs: number,
): Promise<boolean> => {
  const res = await db
    .updateTable('artifacts')
    .set({ description, modified_at: nowMs })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
};

/** Deletes an artifact's row; false when there was none (a concurrent delete won). */
export const deleteArtifactRow = async (db: Executor, tenantId: string, id: string): Promise<boolean> => {
  await db.deleteFrom('artifact_depends_keys').where('artifact_id', '=', id).execute();
  const res = await db
    .deleteFrom('artifacts')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
};

/** Every blob key the artifacts table names (a small table: one row per artifact, not per device). */
export const artifactBlobKeys = async (db: Executor): Promise<Set<string>> =>
  new Set((await db.selectFrom('artifacts').select('blob_key').execute()).map((r) => r.blob_key));

import { rowLock } from '../store/dialect.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num, numOrNull } from '../store/store.js';
import { findDeviceDeployment } from './deployments-repo-devices.js';
import type {
  Deployment,
  DeploymentStatus,
  DeviceDeployment,
  DeviceDeploymentStatus,
} from './deployments-types.js';

export const toDeployment = (r: TableRow<'deployments'>): Deployment => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  artifactName: r.artifact_name,
  status: r.status as DeploymentStatus,
  forceInstallation: Number(r.force_installation) === 1,
  maxDevices: num(r.max_devices),
  groups: JSON.parse(r.groups) as string[],
  constructorSha256: r.constructor_sha256,
  createdAt: num(r.created_at),
  finishedAt: numOrNull(r.finished_at),
  totalSize: num(r.total_size),
});

export const insertDeployment = async (tx: Executor, d: Deployment): Promise<void> => {
  await tx
    .insertInto('deployments')
    .values({
      id: d.id,
      tenant_id: d.tenantId,
      name: d.name,
      artifact_name: d.artifactName,
      status: d.status,
      force_installation: d.forceInstallation ? 1 : 0,
      max_devices: d.maxDevices,
      groups: JSON.stringify(d.groups),
      constructor_sha256: d.constructorSha256,
      created_at: d.createdAt,
      finished_at: d.finishedAt,
      total_size: d.totalSize,
    })
    .execute();
};

/** Adds an artifact handed to a device to the deployment's total (its row is locked: lockDeployment). */
export const addToDeploymentSize = async (tx: Executor, id: string, bytes: number): Promise<void> => {
  await tx
    .updateTable('deployments')
    .set((eb) => ({ total_size: eb('total_size', '+', bytes) }))
    .where('id', '=', id)
    .execute();
};

export const findDeployment = async (
  db: Executor,
  tenantId: string,
  id: string,
): Promise<Deployment | undefined> => {
  const r = await db
    .selectFrom('deployments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toDeployment(r) : undefined;
};

/** Locks the deployment row until the transaction ends (PostgreSQL; SQLite serialises writers). */
export const lockDeployment = async (
  tx: Executor,
  tenantId: string,
  id: string,
): Promise<Deployment | undefined> => {
  const r = await tx
    .selectFrom('deployments')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .$call(rowLock(tx, 'update'))
    .executeTakeFirst();
  return r ? toDeployment(r) : undefined;
};

/**
 * A deployment (locked, see lockDeployment) and one device's row of it: how every per-device
 * status change starts.
 */
export const lockDeviceDeployment = async (
  tx: Executor,
  p: { tenantId: string; deploymentId: string; deviceId: string },
): Promise<{ deployment: Deployment; row: DeviceDeployment } | undefined> => {
  const deployment = await lockDeployment(tx, p.tenantId, p.deploymentId);
  const row = deployment && (await findDeviceDeployment(tx, p));
  return deployment && row ? { deployment, row } : undefined;
};

export const findActiveDeploymentByConstructor = async (
  db: Executor,
  tenantId: string,
  sha: string,
): Promise<string | undefined> =>
  (
    await db
      .selectFrom('deployments')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('constructor_sha256', '=', sha)
      .where('status', '!=', 'finished')
      .executeTakeFirst()
  )?.id;

export const hasUnfinishedDeploymentOf = async (
  db: Executor,
  tenantId: string,
  artifactName: string,
): Promise<boolean> =>
  !!(await db
    .selectFrom('deployments')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('artifact_name', '=', artifactName)
    .where('status', '!=', 'finished')
    .executeTakeFirst());

export const setDeploymentStatus = async (
  tx: Executor,
  id: string,
  status: DeploymentStatus,
  finishedAt: number | null,
): Promise<void> => {
  await tx.updateTable('deployments').set({ status, finished_at: finishedAt }).where('id', '=', id).execute();
};

export interface DeploymentQuery {
  status?: DeploymentStatus;
  search?: string;
  ids?: string[];
  /** Exact deployment names, any of them (v2 list). */
  names?: string[];
  createdBeforeMs?: number;
  createdAfterMs?: number;
  desc: boolean;
  offset: number;
  limit: number;
}

export const listDeployments = async (
  db: Executor,
  tenantId: string,
  q: DeploymentQuery,
): Promise<{ deployments: Deployment[]; total: number }> => {
  let base = db.selectFrom('deployments').where('tenant_id', '=', tenantId);
  if (q.status) base = base.where('status', '=', q.status);
  if (q.ids && q.ids.length > 0) base = base.where('id', 'in', q.ids);
  if (q.names && q.names.length > 0) base = base.where('name', 'in', q.names);
  if (q.search) {
    const s = q.search;
    base = base.where((eb) => eb.or([eb('name', '=', s), eb('artifact_name', '=', s), eb('id', '=', s)]));
  }
  if (q.createdBeforeMs !== undefined) base = base.where('created_at', '<', q.createdBeforeMs);
  if (q.createdAfterMs !== undefined) base = base.where('created_at', '>', q.createdAfterMs);
  const total = num(
    (await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n,
  );
  const rows = await base
    .selectAll()
    .orderBy('created_at', q.desc ? 'desc' : 'asc')
    .orderBy('id', q.desc ? 'desc' : 'asc')
    .offset(q.offset)
    .limit(q.limit)
    .execute();
  return { deployments: rows.map(toDeployment), total };
};

/** Device counts per status for each deployment: one grouped, indexed query. */
export const deploymentStatistics = async (
  db: Executor,
  ids: string[],
): Promise<Map<string, Partial<Record<DeviceDeploymentStatus, number>>>> => {
  const out = new Map<string, Partial<Record<DeviceDeploymentStatus, number>>>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('device_deployments')
    .select(['deployment_id', 'status', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('deployment_id', 'in', ids)
    .groupBy(['deployment_id', 'status'])
    .execute();
  for (const r of rows) {
    const stats = out.get(r.deployment_id) ?? {};
    stats[r.status as DeviceDeploymentStatus] = num(r.n);
    out.set(r.deployment_id, stats);
  }
  return out;
};

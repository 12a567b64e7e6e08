import { sql } from 'kysely';
import { compositeKey, createBatchedLookup, keyColumns } from '../store/batched-lookup.js';
import { dialectOf, rowLock } from '../store/dialect.js';
import { prepareQuery } from '../store/prepared.js';
import type { TableRow } from '../store/schema.js';
import { type Executor, num, numOrNull, type Store } from '../store/store.js';
import type { DeviceDeployment, DeviceDeploymentStatus } from './deployments-types.js';

const COLUMNS = [
  'deployment_id',
  'device_id',
  'tenant_id',
  'status',
  'substate',
  'is_active',
  'artifact_id',
  'provides',
  'created_at',
  'started_at',
  'finished_at',
  'log_available',
] as const;

export const toDeviceDeployment = (
  r: TableRow<'device_deployments', (typeof COLUMNS)[number]>,
): DeviceDeployment => ({
  deploymentId: r.deployment_id,
  deviceId: r.device_id,
  tenantId: r.tenant_id,
  status: r.status as DeviceDeploymentStatus,
  substate: r.substate,
  isActive: Number(r.is_active) === 1,
  artifactId: r.artifact_id,
  provides: r.provides === null ? null : (JSON.parse(r.provides) as Record<string, string>),
  createdAt: num(r.created_at),
  startedAt: numOrNull(r.started_at),
  finishedAt: numOrNull(r.finished_at),
  logAvailable: Number(r.log_available) === 1,
});

/** Inserts the pending per-device rows of a new deployment, in batches. */
export const insertDeviceDeployments = async (
  tx: Executor,
  p: { tenantId: string; deploymentId: string; deviceIds: string[]; createdAt: number },
): Promise<void> => {
  for (let i = 0; i < p.deviceIds.length; i += 500) {
    await tx
      .insertInto('device_deployments')
      .values(
        p.deviceIds.slice(i, i + 500).map((deviceId) => ({
          deployment_id: p.deploymentId,
          device_id: deviceId,
          tenant_id: p.tenantId,
          status: 'pending',
          substate: null,
          is_active: 1,
          artifact_id: null,
          provides: null,
          created_at: p.createdAt,
          started_at: null,
          finished_at: null,
          log_available: 0,
        })),
      )
      .execute();
  }
};

/**
 * The device's oldest active deployment of its own tenant, the only read behind a "nothing to
 * do" poll; compiled once and served by Store.readRows (see src/store/prepared.ts). The tenant is
 * part of the filter, not checked afterwards: a row another tenant wrote for this device id (a
 * database from before deployments resolved device ids in the caller's tenant) must neither be
 * served nor hide the device's own deployments. On PostgreSQL the reads of one event-loop turn
 * go out as one statement (src/store/batched-lookup.ts: only a statement sent after a poll asked
 * answers it, so a deployment created before the poll is always seen).
 */
export const prepareNextDeviceDeployment = (
  store: Store,
): ((tenantId: string, deviceId: string) => Promise<DeviceDeployment | undefined>) => {
  if (dialectOf(store.db) === 'postgres') return batchedNext(store);
  const db = store.db;
  const query = prepareQuery(
    store,
    (deviceId: string, tenantId: string) =>
      db
        .selectFrom('device_deployments')
        .select(COLUMNS)
        .where('device_id', '=', deviceId)
        .where('is_active', '=', 1)
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at')
        .orderBy('deployment_id')
        // A literal LIMIT lets SQLite stop at the first index entry (a bound one costs a sort).
        .limit(sql.lit(1)),
    2,
  );
  return async (tenantId, deviceId) => {
    const [r] = await query(deviceId, tenantId);
    return r ? toDeviceDeployment(r) : undefined;
  };
};

type NextRow = TableRow<'device_deployments', (typeof COLUMNS)[number]>;

/**
 * One row per asked (tenant, device) that has an active deployment: for each key, the first
 * entry of device_deployments_device_idx (device, active, created_at, deployment_id) of that
 * tenant, as the one-device query reads it.
 */
const batchedNext = (store: Store) => {
  const db = store.db;
  const query = prepareQuery(
    store,
    (tenantIds: readonly string[], deviceIds: readonly string[]) => ({
      compile: () =>
        sql<NextRow>`select x.* from unnest(${sql.val(tenantIds)}::text[], ${sql.val(deviceIds)}::text[])
    as k(tenant_id, device_id)
  cross join lateral (
    select ${sql.join(COLUMNS.map((c) => sql.ref(`d.${c}`)))} from device_deployments d
    where d.device_id = k.device_id and d.is_active = 1 and d.tenant_id = k.tenant_id
    order by d.created_at, d.deployment_id limit 1
  ) x`.compile(db),
    }),
    2,
  );
  const lookup = createBatchedLookup<NextRow>({
    fetch: (keys) => {
      const [tenantIds = [], deviceIds = []] = keyColumns(keys, 2);
      return query(tenantIds, deviceIds);
    },
    keyOf: (r) => compositeKey(r.tenant_id, r.device_id),
  });
  return async (tenantId: string, deviceId: string): Promise<DeviceDeployment | undefined> => {
    const r = await lookup(compositeKey(tenantId, deviceId));
    return r ? toDeviceDeployment(r) : undefined;
  };
};

export const findDeviceDeployment = async (
  db: Executor,
  p: { tenantId: string; deploymentId: string; deviceId: string; lock?: boolean },
): Promise<DeviceDeployment | undefined> => {
  let q = db
    .selectFrom('device_deployments')
    .select(COLUMNS)
    .where('tenant_id', '=', p.tenantId)
    .where('deployment_id', '=', p.deploymentId)
    .where('device_id', '=', p.deviceId);
  if (p.lock) q = q.$call(rowLock(db, 'update'));
  const r = await q.executeTakeFirst();
  return r ? toDeviceDeployment(r) : undefined;
};

export const updateDeviceDeployment = async (
  tx: Executor,
  key: { deploymentId: string; deviceId: string },
  patch: {
    status?: DeviceDeploymentStatus;
    substate?: string | null;
    isActive?: boolean;
    artifactId?: string;
    provides?: Record<string, string>;
    startedAt?: number;
    finishedAt?: number;
    logAvailable?: boolean;
  },
): Promise<void> => {
  await tx
    .updateTable('device_deployments')
    .set({
      ...(patch.status !== undefined ? { status: patch.status } : {}),
      ...(patch.substate !== undefined ? { substate: patch.substate } : {}),
      ...(patch.isActive !== undefined ? { is_active: patch.isActive ? 1 : 0 } : {}),
      ...(patch.artifactId !== undefined ? { artifact_id: patch.artifactId } : {}),
      ...(patch.provides !== undefined ? { provides: JSON.stringify(patch.provides) } : {}),
      ...(patch.startedAt !== undefined ? { started_at: patch.startedAt } : {}),
      ...(patch.finishedAt !== undefined ? { finished_at: patch.finishedAt } : {}),
      ...(patch.logAvailable !== undefined ? { log_available: patch.logAvailable ? 1 : 0 } : {}),
    })
    .where('deployment_id', '=', key.deploymentId)
    .where('device_id', '=', key.deviceId)
    .execute();
};

/** Whether any device of the deployment is still active: one index probe, whatever its size. */
export const hasActiveDevices = async (db: Executor, deploymentId: string): Promise<boolean> =>
  (await db
    .selectFrom('device_deployments')
    .select('device_id')
    .where('deployment_id', '=', deploymentId)
    .where('is_active', '=', 1)
    .limit(1)
    .executeTakeFirst()) !== undefined;

/** Finishes every still-active device row of a deployment with `status`; returns how many. */
export const finishActiveDevices = async (
  tx: Executor,
  deploymentId: string,
  status: DeviceDeploymentStatus,
  nowMs: number,
): Promise<number> => {
  const res = await tx
    .updateTable('device_deployments')
    .set({ status, is_active: 0, finished_at: nowMs })
    .where('deployment_id', '=', deploymentId)
    .where('is_active', '=', 1)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
};

/** The active deployment rows of one device of a tenant (for decommissioning). */
export const activeDeploymentsOfDevice = async (
  tx: Executor,
  tenantId: string,
  deviceId: string,
): Promise<string[]> =>
  (
    await tx
      .selectFrom('device_deployments')
      .select('deployment_id')
      .where('device_id', '=', deviceId)
      .where('is_active', '=', 1)
      .where('tenant_id', '=', tenantId)
      .execute()
  ).map((r) => r.deployment_id);

export const listDeploymentDevices = async (
  db: Executor,
  deploymentId: string,
  q: { status?: DeviceDeploymentStatus[]; offset: number; limit: number },
): Promise<{ devices: DeviceDeployment[]; total: number }> => {
  let base = db.selectFrom('device_deployments').where('deployment_id', '=', deploymentId);
  if (q.status && q.status.length > 0) base = base.where('status', 'in', q.status);
  const total = num(
    (await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n,
  );
  const rows = await base.select(COLUMNS).orderBy('device_id').offset(q.offset).limit(q.limit).execute();
  return { devices: rows.map(toDeviceDeployment), total };
};

/** One device's deployments (its per-device rows) in a tenant, newest first. */
export const listDeploymentsOfDevice = async (
  db: Executor,
  tenantId: string,
  deviceId: string,
  q: { status?: DeviceDeploymentStatus[]; offset: number; limit: number },
): Promise<{ rows: DeviceDeployment[]; total: number }> => {
  let base = db
    .selectFrom('device_deployments')
    .where('device_id', '=', deviceId)
    .where('tenant_id', '=', tenantId);
  if (q.status && q.status.length > 0) base = base.where('status', 'in', q.status);
  const total = num(
    (await base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()).n,
  );
  const rows = await base
    .select(COLUMNS)
    .orderBy('created_at', 'desc')
    .orderBy('deployment_id', 'desc')
    .offset(q.offset)
    .limit(q.limit)
    .execute();
  return { rows: rows.map(toDeviceDeployment), total };
};

export const saveDeviceLog = async (
  tx: Executor,
  p: { tenantId: string; deploymentId: string; deviceId: string; messages: unknown[]; nowMs: number },
): Promise<void> => {
  await tx
    .insertInto('deployment_logs')
    .values({
      deployment_id: p.deploymentId,
      device_id: p.deviceId,
      tenant_id: p.tenantId,
      messages: JSON.stringify(p.messages),
      created_at: p.nowMs,
    })
    .onConflict((oc) =>
      oc.columns(['deployment_id', 'device_id']).doUpdateSet((eb) => ({
        messages: eb.ref('excluded.messages'),
        created_at: eb.ref('excluded.created_at'),
      })),
    )
    .execute();
};

export const findDeviceLog = async (
  db: Executor,
  p: { tenantId: string; deploymentId: string; deviceId: string },
): Promise<unknown[] | undefined> => {
  const r = await db
    .selectFrom('deployment_logs')
    .select('messages')
    .where('tenant_id', '=', p.tenantId)
    .where('deployment_id', '=', p.deploymentId)
    .where('device_id', '=', p.deviceId)
    .executeTakeFirst();
  return r ? (JSON.parse(r.messages) as unknown[]) : undefined;
};

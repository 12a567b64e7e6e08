import { type Kysely, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// Deployment reports (issue 11, docs/compat/mender-ui.md): Mender's `statistics.total_size` is
// the sum of the sizes of the artifacts handed to the deployment's devices, each time one is
// handed out (an artifact a device already had is not counted). It is kept as a counter on the
// deployment, added to in the transaction that hands an artifact to a device (which holds the
// deployment's row), so that a report reads it without visiting the deployment's device rows and
// it stays right after the artifact is deleted.
// - deployments.total_size: bytes, 0 for a new deployment. Deployments from before are counted
//   once here from their device rows and the artifacts that still exist.
//
// Idempotent: the column is only added, and counted, when missing.

export async function up(db: Kysely<any>): Promise<void> {
  const columns = (await db.introspection.getTables()).find((t) => t.name === 'deployments')?.columns ?? [];
  if (columns.some((c) => c.name === 'total_size')) return;
  await db.schema
    .alterTable('deployments')
    .addColumn('total_size', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    update deployments set total_size = coalesce((
      select sum(a.size) from device_deployments dd join artifacts a on a.id = dd.artifact_id
      where dd.deployment_id = deployments.id and dd.status <> 'already-installed'
    ), 0)
    where exists (
      select 1 from device_deployments dd
      where dd.deployment_id = deployments.id and dd.artifact_id is not null
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('deployments').dropColumn('total_size').execute();
}

import type { Kysely } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// Magistrala's workflow order (issue 11, docs/adr/0008-bootstrap.md "Holding a config"): a config
// delivers as soon as it is uploaded, and `state` only says whether its client is connected to its
// channels, as in Magistrala. Keeping a config from delivering is a separate Gatehouse setting:
// - bootstrap_configs.held: 1 = the device routes refuse it like an unknown external id. Until now
//   a disabled config (state 0) delivered nothing, so every state-0 config becomes held: an
//   upgrade changes what no device receives. Enabled configs stay unheld.
// - bootstrap_settings: per tenant, whether new configs start held (hold_new_configs). No row = 0,
//   Magistrala's behaviour. Gone with its tenant.
// - enrollment_groups.bootstrap (JSON): the template gets `held`, set to !active for every group
//   saved before, because `active: false` meant "deliver nothing" and now only means "not
//   connected". Without `held`, a template takes the tenant's default at admission.
//
// One transaction (the migrator's). Idempotent: the column and table are only added when missing,
// and configs and templates are only rewritten on the first run (held is added by it).

export async function up(db: Kysely<any>): Promise<void> {
  const configColumns =
    (await db.introspection.getTables()).find((t) => t.name === 'bootstrap_configs')?.columns ?? [];
  if (!configColumns.some((c) => c.name === 'held')) {
    await db.schema
      .alterTable('bootstrap_configs')
      .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.updateTable('bootstrap_configs').set({ held: 1 }).where('state', '=', 0).execute();

    const groups = await db
      .selectFrom('enrollment_groups')
      .select(['id', 'bootstrap'])
      .where('bootstrap', 'is not', null)
      .execute();
    for (const g of groups as { id: string; bootstrap: string }[]) {
      const template = JSON.parse(g.bootstrap) as Record<string, unknown>;
      if (template === null || typeof template !== 'object' || 'held' in template) continue;
      template.held = template.active === false;
      await db
        .updateTable('enrollment_groups')
        .set({ bootstrap: JSON.stringify(template) })
        .where('id', '=', g.id)
        .execute();
    }
  }
  await db.schema
    .createTable('bootstrap_settings')
    .ifNotExists()
    .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
    .addColumn('hold_new_configs', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('bootstrap_settings').ifExists().execute();
  await db.schema.alterTable('bootstrap_configs').dropColumn('held').execute();
}

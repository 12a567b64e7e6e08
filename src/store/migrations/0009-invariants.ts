import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

// Frozen once landed: fix forward with a new migration. Imports no application code.
//
// Invariants held by the database (docs/adr/0013-database-invariants.md). Before this migration
// they were checked by the code only, and two requests racing past the check on PostgreSQL could
// break them. New constraints:
//
//   auth_sets_tenant_key_uq        UNIQUE auth_sets (tenant_id, pubkey_sha256)
//                                  one device per public key per tenant (replaces the plain
//                                  index auth_sets_tenant_key_idx)
//   auth_sets_accepted_uq          UNIQUE auth_sets (device_id) WHERE status = 'accepted'
//                                  at most one accepted auth set per device
//   deployments_constructor_uq     UNIQUE deployments (tenant_id, constructor_sha256)
//                                  WHERE status <> 'finished'
//                                  one unfinished deployment per identical request
//
// Rows that already break them are resolved first, in this order, and every change to a device
// is recorded in the event outbox (so webhooks and the audit log show it):
//
// 1. A public key held by several auth sets of one tenant: the auth set in the strongest state
//    is kept (accepted > preauthorized > pending > rejected, then the oldest, then the smallest
//    id); the others are deleted with their device tokens. Event device.authset_deleted with
//    reason "duplicate_key", the kept auth set and its device. A device left without auth sets
//    stays, with status noauth (as after an operator deletes its last auth set); nothing else
//    of it (inventory, deployments, bootstrap config) is touched.
// 2. A device with several accepted auth sets: the most recently updated one stays accepted
//    (then the newest, then the largest id); the others become rejected and their device tokens
//    are deleted. Event device.rejected with reason "duplicate_accepted".
// 3. The status of every device changed by 1 or 2 is derived again from its auth sets, as the
//    code does (highest of accepted > preauthorized > pending > rejected, none = noauth), and
//    the inventory attribute identity/status follows it.
// 4. Unfinished deployments with the same constructor: all keep running (their devices are not
//    disturbed); all but the oldest get "<hash>:duplicate:<id>" as constructor hash, so they no
//    longer count as the deployment a repeated request collides with.
//
// Runs in one transaction: the migrator's on both dialects (src/store/sqlite-dialect.ts makes
// SQLite's transactional too); its own when it is handed a plain connection. A crash leaves
// nothing, and a second run finds nothing to resolve and indexes that exist already.

const WEIGHT_SQL = sql`case status when 'accepted' then 4 when 'preauthorized' then 3 when 'pending' then 2 when 'rejected' then 1 else 0 end`;
const WEIGHT: Record<string, number> = { accepted: 4, preauthorized: 3, pending: 2, rejected: 1 };
const CHUNK = 500;
const MIGRATION = '0009-invariants';

interface EventRow {
  id: string;
  tenant_id: string;
  type: string;
  device_id: string | null;
  payload: string;
  created_at: number;
}

export async function up(db: Kysely<any>): Promise<void> {
  const run = async (tx: Kysely<any>) => {
    const nowMs = Date.now();
    const ids = orderedIds(nowMs);
    const events: EventRow[] = [];
    const event = (tenantId: string, type: string, deviceId: string, payload: Record<string, unknown>) =>
      events.push({
        id: ids(),
        tenant_id: tenantId,
        type,
        device_id: deviceId,
        payload: JSON.stringify({ ...payload, migration: MIGRATION }),
        created_at: nowMs,
      });
    const touched = new Map<string, string>();

    // 1. One public key, one auth set per tenant.
    const sharedKeys = await sql<{
      id: string;
      tenant_id: string;
      device_id: string;
      status: string;
      rn: number | string;
      kept_id: string;
      kept_device_id: string;
    }>`
      select id, tenant_id, device_id, status, rn, kept_id, kept_device_id from (
        select a.id, a.tenant_id, a.device_id, a.status,
          row_number() over (partition by a.tenant_id, a.pubkey_sha256
            order by ${WEIGHT_SQL} desc, a.created_at, a.id) as rn,
          first_value(a.id) over (partition by a.tenant_id, a.pubkey_sha256
            order by ${WEIGHT_SQL} desc, a.created_at, a.id) as kept_id,
          first_value(a.device_id) over (partition by a.tenant_id, a.pubkey_sha256
            order by ${WEIGHT_SQL} desc, a.created_at, a.id) as kept_device_id
        from auth_sets a
        join (select tenant_id, pubkey_sha256 from auth_sets
              group by tenant_id, pubkey_sha256 having count(*) > 1) d
          on d.tenant_id = a.tenant_id and d.pubkey_sha256 = a.pubkey_sha256
      ) r where rn > 1`.execute(tx);
    const dropped = sharedKeys.rows;
    for (const part of chunks(dropped.map((r) => r.id))) {
      await tx.deleteFrom('device_tokens').where('auth_set_id', 'in', part).execute();
      await tx.deleteFrom('auth_sets').where('id', 'in', part).execute();
    }
    for (const r of dropped) {
      touched.set(r.device_id, r.tenant_id);
      event(r.tenant_id, 'device.authset_deleted', r.device_id, {
        auth_set_id: r.id,
        previous_status: r.status,
        reason: 'duplicate_key',
        kept_auth_set_id: r.kept_id,
        kept_device_id: r.kept_device_id,
      });
    }

    // 2. At most one accepted auth set per device.
    const extraAccepted = await sql<{ id: string; tenant_id: string; device_id: string; kept_id: string }>`
      select id, tenant_id, device_id, kept_id from (
        select a.id, a.tenant_id, a.device_id,
          row_number() over (partition by a.device_id
            order by a.updated_at desc, a.created_at desc, a.id desc) as rn,
          first_value(a.id) over (partition by a.device_id
            order by a.updated_at desc, a.created_at desc, a.id desc) as kept_id
        from auth_sets a
        join (select device_id from auth_sets where status = 'accepted'
              group by device_id having count(*) > 1) d on d.device_id = a.device_id
        where a.status = 'accepted'
      ) r where rn > 1`.execute(tx);
    const rejected = extraAccepted.rows;
    for (const part of chunks(rejected.map((r) => r.id))) {
      await tx
        .updateTable('auth_sets')
        .set({ status: 'rejected', updated_at: nowMs })
        .where('id', 'in', part)
        .execute();
      await tx.deleteFrom('device_tokens').where('auth_set_id', 'in', part).execute();
    }
    for (const r of rejected) {
      touched.set(r.device_id, r.tenant_id);
      event(r.tenant_id, 'device.rejected', r.device_id, {
        auth_set_id: r.id,
        previous_status: 'accepted',
        reason: 'duplicate_accepted',
        kept_auth_set_id: r.kept_id,
      });
    }

    // 3. Device status derived again (devauth's deriveDeviceStatus), inventory identity/status with it.
    for (const part of chunks([...touched.keys()])) {
      const sets = await tx
        .selectFrom('auth_sets')
        .select(['device_id', 'status'])
        .where('device_id', 'in', part)
        .execute();
      const devices = await tx
        .selectFrom('devices')
        .select(['id', 'status'])
        .where('id', 'in', part)
        .execute();
      for (const d of devices) {
        const statuses = sets.filter((s) => s.device_id === d.id).map((s) => s.status as string);
        const status = deriveStatus(statuses);
        if (status === d.status) continue;
        await tx.updateTable('devices').set({ status, updated_at: nowMs }).where('id', '=', d.id).execute();
        await tx
          .updateTable('inventory_attributes')
          .set({ value: JSON.stringify(status), updated_at: nowMs })
          .where('device_id', '=', d.id)
          .where('scope', '=', 'identity')
          .where('name', '=', 'status')
          .execute();
      }
    }

    // 4. One unfinished deployment per constructor: the newer duplicates keep running, unmarked.
    const duplicates = await sql<{ id: string }>`
      select id from (
        select id, row_number() over (partition by tenant_id, constructor_sha256
          order by created_at, id) as rn
        from deployments where status <> 'finished'
      ) r where rn > 1`.execute(tx);
    for (const part of chunks(duplicates.rows.map((r) => r.id))) {
      await tx
        .updateTable('deployments')
        .set({ constructor_sha256: sql`constructor_sha256 || ${':duplicate:'} || id` })
        .where('id', 'in', part)
        .execute();
    }

    for (let i = 0; i < events.length; i += CHUNK) {
      await tx
        .insertInto('events')
        .values(events.slice(i, i + CHUNK).map((e) => ({ ...e, fanned_out_at: null })))
        .execute();
    }

    await tx.schema.dropIndex('auth_sets_tenant_key_idx').ifExists().execute();
    await tx.schema
      .createIndex('auth_sets_tenant_key_uq')
      .ifNotExists()
      .unique()
      .on('auth_sets')
      .columns(['tenant_id', 'pubkey_sha256'])
      .execute();
    await tx.schema
      .createIndex('auth_sets_accepted_uq')
      .ifNotExists()
      .unique()
      .on('auth_sets')
      .column('device_id')
      .where(sql.ref('status'), '=', 'accepted')
      .execute();
    await tx.schema
      .createIndex('deployments_constructor_uq')
      .ifNotExists()
      .unique()
      .on('deployments')
      .columns(['tenant_id', 'constructor_sha256'])
      .where(sql.ref('status'), '<>', 'finished')
      .execute();
  };
  // PostgreSQL: Kysely's migrator already runs us in a transaction (and nesting is not allowed).
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('deployments_constructor_uq').ifExists().execute();
  await db.schema.dropIndex('auth_sets_accepted_uq').ifExists().execute();
  await db.schema.dropIndex('auth_sets_tenant_key_uq').ifExists().execute();
  await db.schema
    .createIndex('auth_sets_tenant_key_idx')
    .ifNotExists()
    .on('auth_sets')
    .columns(['tenant_id', 'pubkey_sha256'])
    .execute();
}

const deriveStatus = (statuses: string[]): string => {
  const best = Math.max(0, ...statuses.map((s) => WEIGHT[s] ?? 0));
  return Object.entries(WEIGHT).find(([, w]) => w === best)?.[0] ?? 'noauth';
};

function* chunks<T>(items: T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}

/** Time-ordered UUIDv7 ids (the outbox orders by id), one millisecond, a counter within it. */
const orderedIds = (nowMs: number) => {
  let seq = 0;
  return (): string => {
    const b = randomBytes(16);
    b.writeUIntBE(nowMs + Math.floor(seq / 4096), 0, 6);
    b[6] = 0x70 | ((seq >> 8) & 0x0f);
    b[7] = seq & 0xff;
    b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
    seq++;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
};

import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../store/schema.js';
import { type Executor, num } from '../store/store.js';

/** The tables of the two webhook kinds: event subscriptions and allocation webhooks. */
export type TargetTable = 'webhook_subscriptions' | 'allocation_webhooks';

/** What every webhook target has, whatever its kind (the columns both tables share). */
export interface TargetBase {
  id: string;
  tenantId: string;
  url: string;
  description: string;
  createdAt: number;
  updatedAt: number;
}

export interface TargetRecord<T extends TargetBase> {
  target: T;
  secretSealed: string;
}

/** The changes of the shared columns; a kind's own come as its own patch (`ownSet`). */
export interface TargetPatch {
  url?: string;
  description?: string;
  secretSealed?: string;
  updatedAt: number;
}

interface SharedColumns {
  id: string;
  tenant_id: string;
  url: string;
  description: string;
  secret_sealed: string;
  created_at: number | string | bigint;
  updated_at: number | string | bigint;
}

/**
 * How one kind maps its own columns (the shared ones are mapped here, identically for both).
 * `ownRow` and `ownSet` give only the kind's own columns.
 */
export interface TargetKindColumns<Table extends TargetTable, T extends TargetBase, OwnPatch> {
  table: Table;
  toTarget(base: TargetBase, row: Selectable<Database[Table]>): T;
  ownRow(t: T): Omit<Insertable<Database[Table]>, keyof SharedColumns>;
  ownSet(p: OwnPatch): Omit<Updateable<Database[Table]>, keyof SharedColumns>;
}

export interface TargetRepo<T extends TargetBase, OwnPatch> {
  insert(ex: Executor, rec: TargetRecord<T>): Promise<void>;
  find(ex: Executor, tenantId: string, id: string): Promise<TargetRecord<T> | undefined>;
  /** Oldest first (then by id), with the tenant's total. */
  list(
    ex: Executor,
    tenantId: string,
    q: { offset: number; limit: number },
  ): Promise<{ targets: T[]; total: number }>;
  count(ex: Executor, tenantId: string): Promise<number>;
  /** False when the tenant has no such target. `own` changes the kind's own columns. */
  update(ex: Executor, tenantId: string, id: string, patch: TargetPatch, own?: OwnPatch): Promise<boolean>;
  remove(ex: Executor, tenantId: string, id: string): Promise<boolean>;
}

/**
 * The queries of one webhook kind. Both tables are read through the columns they share (Kysely
 * cannot type a query over a table chosen at run time), and the kind maps its own columns.
 */
export const createTargetRepo = <Table extends TargetTable, T extends TargetBase, OwnPatch>(
  kind: TargetKindColumns<Table, T, OwnPatch>,
): TargetRepo<T, OwnPatch> => {
  const table: string = kind.table;
  const shared = (ex: Executor) => ex as unknown as Kysely<Record<string, SharedColumns>>;
  const toRecord = (r: SharedColumns): TargetRecord<T> => ({
    target: kind.toTarget(
      {
        id: r.id,
        tenantId: r.tenant_id,
        url: r.url,
        description: r.description,
        createdAt: num(r.created_at),
        updatedAt: num(r.updated_at),
      },
      // selectAll read every column of the kind's own table.
      r as unknown as Selectable<Database[Table]>,
    ),
    secretSealed: r.secret_sealed,
  });

  return {
    async insert(ex, rec) {
      const t = rec.target;
      await shared(ex)
        .insertInto(table)
        .values({
          id: t.id,
          tenant_id: t.tenantId,
          url: t.url,
          description: t.description,
          ...(kind.ownRow(t) as object),
          secret_sealed: rec.secretSealed,
          created_at: t.createdAt,
          updated_at: t.updatedAt,
        })
        .execute();
    },

    async find(ex, tenantId, id) {
      const r = await shared(ex)
        .selectFrom(table)
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? toRecord(r) : undefined;
    },

    async list(ex, tenantId, q) {
      const base = shared(ex).selectFrom(table).where('tenant_id', '=', tenantId);
      const [rows, count] = await Promise.all([
        base.selectAll().orderBy('created_at').orderBy('id').offset(q.offset).limit(q.limit).execute(),
        base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { targets: rows.map((r) => toRecord(r).target), total: num(count.n) };
    },

    async count(ex, tenantId) {
      const r = await shared(ex)
        .selectFrom(table)
        .where('tenant_id', '=', tenantId)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      return num(r.n);
    },

    async update(ex, tenantId, id, patch, own) {
      const r = await shared(ex)
        .updateTable(table)
        .set({
          ...(patch.url === undefined ? {} : { url: patch.url }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(own === undefined ? {} : (kind.ownSet(own) as object)),
          ...(patch.secretSealed === undefined ? {} : { secret_sealed: patch.secretSealed }),
          updated_at: patch.updatedAt,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async remove(ex, tenantId, id) {
      const r = await shared(ex)
        .deleteFrom(table)
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
};

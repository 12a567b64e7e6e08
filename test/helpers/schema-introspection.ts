import { type QueryExecutorProvider, type RawBuilder, sql } from 'kysely';
import type { DialectName } from './databases.js';

/**
 * The schema a migrated database really has, read from the catalog (sqlite_master and pragmas on
 * SQLite, pg_catalog / information_schema on PostgreSQL) into one shape for both dialects, so
 * tests can compare a fresh database with an upgraded one, and SQLite with PostgreSQL.
 * Kysely's own tables (kysely_migration*) and SQLite's internal ones are left out.
 */
export interface ColumnShape {
  name: string;
  /** As declared (SQLite) or information_schema.data_type (PostgreSQL). */
  type: string;
  /**
   * Primary-key columns count as NOT NULL on SQLite too: SQLite lets NULL into a non-integer
   * primary key (a documented legacy quirk) where PostgreSQL does not, and every primary key of
   * ours is declared non-null in schema.ts.
   */
  notNull: boolean;
  default: string | null;
}

export interface IndexShape {
  /** SQLite names a UNIQUE constraint's index sqlite_autoindex_<table>_<n>, not by the constraint. */
  name: string;
  /** 'index': CREATE INDEX; 'unique': a table's UNIQUE constraint. Primary keys are not listed here. */
  origin: 'index' | 'unique';
  /** Key columns in order; ' desc' appended when descending; '<expression>' for an expression. */
  columns: string[];
  unique: boolean;
  /** WHERE clause of a partial index, in the dialect's own spelling. */
  predicate: string | null;
  /** The catalog's definition: SQLite's CREATE INDEX text, PostgreSQL's pg_get_indexdef. */
  definition: string | null;
}

export interface ForeignKeyShape {
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface TableShape {
  columns: ColumnShape[];
  primaryKey: string[];
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
  /** Names of the table's triggers, sorted (their bodies are dialect-specific and not compared). */
  triggers: string[];
}

export type SchemaShape = Record<string, TableShape>;

const isOurs = (table: string): boolean => !table.startsWith('kysely_') && !table.startsWith('sqlite_');

export const introspectSchema = (db: QueryExecutorProvider, dialect: DialectName): Promise<SchemaShape> =>
  dialect === 'sqlite' ? introspectSqlite(db) : introspectPostgres(db);

const rows = async <R>(db: QueryExecutorProvider, query: RawBuilder<R>): Promise<R[]> =>
  (await query.execute(db)).rows;

const sortIndexes = (list: IndexShape[]): IndexShape[] => list.sort((a, b) => a.name.localeCompare(b.name));
const sortForeignKeys = (list: ForeignKeyShape[]): ForeignKeyShape[] =>
  list.sort((a, b) => a.columns.join().localeCompare(b.columns.join()));
const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

const introspectSqlite = async (db: QueryExecutorProvider): Promise<SchemaShape> => {
  const schema: SchemaShape = {};
  const tables = await rows<{ name: string }>(
    db,
    sql`select name from sqlite_master where type = 'table' order by name`,
  );
  for (const { name: table } of tables.filter((t) => isOurs(t.name))) {
    const info = await rows<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>(db, sql`select * from pragma_table_info(${table}) order by cid`);
    const primaryKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const indexes: IndexShape[] = [];
    const list = await rows<{ name: string; unique: number; origin: string; partial: number }>(
      db,
      sql`select * from pragma_index_list(${table})`,
    );
    for (const ix of list.filter((i) => i.origin !== 'pk')) {
      const keys = await rows<{ cid: number; name: string | null; desc: number; key: number }>(
        db,
        sql`select * from pragma_index_xinfo(${ix.name}) where key = 1 order by seqno`,
      );
      const [created] = await rows<{ sql: string | null }>(
        db,
        sql`select sql from sqlite_master where type = 'index' and name = ${ix.name}`,
      );
      const definition = created?.sql ? oneLine(created.sql) : null;
      const predicate = ix.partial && definition ? (/\swhere\s(.*)$/is.exec(definition)?.[1] ?? null) : null;
      indexes.push({
        name: ix.name,
        origin: ix.origin === 'u' ? 'unique' : 'index',
        columns: keys.map((k) => (k.name ?? '<expression>') + (k.desc ? ' desc' : '')),
        unique: ix.unique === 1,
        predicate,
        definition,
      });
    }
    const fkRows = await rows<{
      id: number;
      seq: number;
      table: string;
      from: string;
      to: string | null;
      on_update: string;
      on_delete: string;
    }>(db, sql`select * from pragma_foreign_key_list(${table}) order by id, seq`);
    const foreignKeys = new Map<number, ForeignKeyShape>();
    for (const fk of fkRows) {
      const entry = foreignKeys.get(fk.id) ?? {
        columns: [],
        refTable: fk.table,
        refColumns: [],
        onDelete: fk.on_delete.toUpperCase(),
        onUpdate: fk.on_update.toUpperCase(),
      };
      entry.columns.push(fk.from);
      // `to` is NULL when the reference names no column (the parent's primary key).
      entry.refColumns.push(fk.to ?? '<primary key>');
      foreignKeys.set(fk.id, entry);
    }
    const triggers = await rows<{ name: string }>(
      db,
      sql`select name from sqlite_master where type = 'trigger' and tbl_name = ${table} order by name`,
    );
    schema[table] = {
      triggers: triggers.map((t) => t.name),
      columns: info.map((c) => ({
        name: c.name,
        type: c.type.toLowerCase(),
        notNull: c.notnull === 1 || c.pk > 0,
        default: c.dflt_value,
      })),
      primaryKey,
      indexes: sortIndexes(indexes),
      foreignKeys: sortForeignKeys([...foreignKeys.values()]),
    };
  }
  return schema;
};

// pg_constraint.confdeltype / confupdtype letters.
const PG_FK_ACTIONS: Record<string, string> = {
  a: 'NO ACTION',
  r: 'RESTRICT',
  c: 'CASCADE',
  n: 'SET NULL',
  d: 'SET DEFAULT',
};

const introspectPostgres = async (db: QueryExecutorProvider): Promise<SchemaShape> => {
  const schema: SchemaShape = {};
  const columns = await rows<{
    table_name: string;
    column_name: string;
    data_type: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    db,
    sql`select c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default
        from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = current_schema() and t.table_type = 'BASE TABLE'
        order by c.table_name, c.ordinal_position`,
  );
  for (const c of columns.filter((r) => isOurs(r.table_name))) {
    schema[c.table_name] ??= { columns: [], primaryKey: [], indexes: [], foreignKeys: [], triggers: [] };
    schema[c.table_name]?.columns.push({
      name: c.column_name,
      type: c.data_type,
      notNull: c.is_nullable === 'NO',
      default: c.column_default,
    });
  }

  const constraints = await rows<{
    table_name: string;
    contype: string;
    columns: string[];
    ref_table: string | null;
    ref_columns: string[];
    confdeltype: string;
    confupdtype: string;
  }>(
    db,
    sql`select t.relname::text as table_name, c.contype::text as contype,
          array(select a.attname::text from unnest(c.conkey) with ordinality k(attnum, ord)
                join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum order by k.ord) as columns,
          rt.relname::text as ref_table,
          array(select a.attname::text from unnest(coalesce(c.confkey, '{}')) with ordinality k(attnum, ord)
                join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.attnum order by k.ord) as ref_columns,
          c.confdeltype::text as confdeltype, c.confupdtype::text as confupdtype
        from pg_constraint c
        join pg_class t on t.oid = c.conrelid
        join pg_namespace n on n.oid = t.relnamespace
        left join pg_class rt on rt.oid = c.confrelid
        where n.nspname = current_schema() and c.contype in ('p', 'f')`,
  );
  for (const c of constraints) {
    const table = schema[c.table_name];
    if (!table) continue;
    if (c.contype === 'p') table.primaryKey = c.columns;
    else
      table.foreignKeys.push({
        columns: c.columns,
        refTable: c.ref_table ?? '?',
        refColumns: c.ref_columns,
        onDelete: PG_FK_ACTIONS[c.confdeltype] ?? c.confdeltype,
        onUpdate: PG_FK_ACTIONS[c.confupdtype] ?? c.confupdtype,
      });
  }

  const indexes = await rows<{
    name: string;
    table_name: string;
    is_unique: boolean;
    is_primary: boolean;
    is_constraint: boolean;
    predicate: string | null;
    definition: string;
    columns: string[];
  }>(
    db,
    sql`select i.relname::text as name, t.relname::text as table_name, ix.indisunique as is_unique,
          ix.indisprimary as is_primary,
          exists(select 1 from pg_constraint c where c.conindid = ix.indexrelid and c.contype = 'u') as is_constraint,
          pg_get_expr(ix.indpred, ix.indrelid) as predicate,
          pg_get_indexdef(ix.indexrelid) as definition,
          array(select coalesce((select a.attname::text from pg_attribute a
                                 where a.attrelid = ix.indrelid and a.attnum = ix.indkey[k - 1] and ix.indkey[k - 1] <> 0),
                                '<expression>')
                       || case when (ix.indoption[k - 1] & 1) = 1 then ' desc' else '' end
                from generate_series(1, ix.indnkeyatts) k order by k) as columns
        from pg_index ix
        join pg_class i on i.oid = ix.indexrelid
        join pg_class t on t.oid = ix.indrelid
        join pg_namespace n on n.oid = t.relnamespace
        where n.nspname = current_schema()`,
  );
  for (const ix of indexes) {
    const table = schema[ix.table_name];
    if (!table || ix.is_primary) continue;
    table.indexes.push({
      name: ix.name,
      origin: ix.is_constraint ? 'unique' : 'index',
      columns: ix.columns,
      unique: ix.is_unique,
      predicate: ix.predicate,
      definition: ix.definition,
    });
  }
  const triggers = await rows<{ table_name: string; name: string }>(
    db,
    sql`select c.relname::text as table_name, t.tgname::text as name
        from pg_trigger t
        join pg_class c on c.oid = t.tgrelid
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and not t.tgisinternal
        order by t.tgname`,
  );
  for (const t of triggers) schema[t.table_name]?.triggers.push(t.name);
  for (const table of Object.values(schema)) {
    sortIndexes(table.indexes);
    sortForeignKeys(table.foreignKeys);
  }
  return Object.fromEntries(Object.entries(schema).sort(([a], [b]) => a.localeCompare(b)));
};

/**
 * What must agree between SQLite and PostgreSQL, one readable line per fact: tables, columns with
 * nullability, primary keys, foreign keys, indexes by name (a UNIQUE constraint by its columns,
 * since SQLite does not keep a constraint's name), uniqueness and whether it is partial, and
 * trigger names. Types, defaults, predicate text and trigger bodies are spelled differently by
 * the two dialects and are left out.
 */
export const portableSchema = (schema: SchemaShape): Record<string, string[]> =>
  Object.fromEntries(
    Object.entries(schema).map(([name, t]) => [
      name,
      [
        ...t.columns.map((c) => `column ${c.name}${c.notNull ? ' not null' : ''}`),
        `primary key (${t.primaryKey.join(', ')})`,
        ...t.foreignKeys.map(
          (f) =>
            `foreign key (${f.columns.join(', ')}) references ${f.refTable} (${f.refColumns.join(', ')})` +
            ` on delete ${f.onDelete.toLowerCase()}`,
        ),
        ...t.indexes
          .map((i) =>
            i.origin === 'unique'
              ? `unique constraint (${i.columns.join(', ')})`
              : `${i.unique ? 'unique ' : ''}index ${i.name} (${i.columns.join(', ')})${i.predicate ? ' partial' : ''}`,
          )
          .sort(),
        ...t.triggers.map((name) => `trigger ${name}`),
      ],
    ]),
  );

import { createHash, randomUUID } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import { canonicalIdentity } from '../../src/devauth/identity.js';
import type { Dialect, Executor, Store } from '../../src/store/store.js';

/**
 * A large fleet written straight into the tables, as the application stores it (devices, one
 * auth set each except `noauth` ones, the inventory identity scope with the auth status mirror,
 * reported inventory, static groups and tags), with batched multi-row inserts: a million devices
 * in about a minute. For the device-scale bench (1,000,000) and the storage tests of the device
 * queries (a few thousand). Rows go in with multi-row INSERTs, as a bulk importer writes them,
 * so the database's own bookkeeping (device_counts triggers) sees that kind of write too.
 */

export const FLEET_STATUSES = ['accepted', 'pending', 'rejected', 'preauthorized', 'noauth'] as const;
export type FleetStatus = (typeof FLEET_STATUSES)[number];

/** 14 of 20 accepted, 3 pending, 1 each rejected, preauthorized and noauth. */
export const fleetStatusOf = (i: number): FleetStatus => {
  const r = i % 20;
  if (r < 14) return 'accepted';
  if (r < 17) return 'pending';
  return r === 17 ? 'rejected' : r === 18 ? 'preauthorized' : 'noauth';
};

export const FLEET_GROUPS = 100;
export const FLEET_SITES = 10;
/** Milliseconds between two devices' creation. */
export const FLEET_SPACING_MS = 7;

/** The MAC of device `i`: unique, and a prefix search for `02:00:00:01:e2` finds 16 devices. */
export const fleetMac = (i: number): string => {
  const h = i.toString(16).padStart(10, '0');
  return `02:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}`;
};
/** Accepted devices are in group `group-<i mod 100>`. */
export const fleetGroup = (i: number): string => `group-${i % FLEET_GROUPS}`;
/** Every tenth device (when accepted) has the tag `site` = `site-<(i / 10) mod 10>`. */
export const fleetSite = (i: number): string | undefined =>
  i % 10 === 0 ? `site-${Math.floor(i / 10) % FLEET_SITES}` : undefined;

export interface FleetSeedOptions {
  tenantId: string;
  devices: number;
  /** Index of the first device (MACs and statuses follow the index); default 0. */
  first?: number;
  /** Creation time of device 0; default: the fleet ends now. */
  startMs?: number;
  /** Devices per batch (default 5000). */
  batch?: number;
  onProgress?: (done: number) => void;
}

export interface SeededDevice {
  index: number;
  id: string;
  status: FleetStatus;
  mac: string;
  /** SHA-256 hex of the auth set's key (the fingerprint); undefined for noauth devices. */
  fingerprint?: string;
  createdAt: number;
}

export interface SeededFleet {
  /** Every seeded device in index (= creation) order. */
  devices: SeededDevice[];
  statusCounts: Record<FleetStatus, number>;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A deterministic Ed25519-shaped public key (SPKI PEM) and its fingerprint. */
const keyOf = (tenantId: string, i: number): { pem: string; sha256: string } => {
  const raw = createHash('sha256').update(`${tenantId}/${i}`).digest();
  const der = Buffer.concat([ED25519_SPKI_PREFIX, raw]);
  return {
    pem: `-----BEGIN PUBLIC KEY-----\n${der.toString('base64')}\n-----END PUBLIC KEY-----\n`,
    sha256: createHash('sha256').update(der).digest('hex'),
  };
};

type Column = { name: string; pgType: 'text' | 'int8' };
const text = (name: string): Column => ({ name, pgType: 'text' });
const int8 = (name: string): Column => ({ name, pgType: 'int8' });

const TABLES = {
  devices: [
    text('id'),
    text('tenant_id'),
    text('id_data'),
    text('id_data_sha256'),
    text('status'),
    int8('created_at'),
    int8('updated_at'),
    int8('check_in_at'),
  ],
  auth_sets: [
    text('id'),
    text('tenant_id'),
    text('device_id'),
    text('pubkey'),
    text('pubkey_sha256'),
    text('key_type'),
    text('status'),
    int8('created_at'),
    int8('updated_at'),
  ],
  inventory_attributes: [
    text('tenant_id'),
    text('device_id'),
    text('scope'),
    text('name'),
    text('value'),
    text('description'),
    int8('updated_at'),
  ],
} as const;
type Table = keyof typeof TABLES;

/** SQLite allows 32,766 parameters per statement; a fixed row count keeps the statement cached. */
const SQLITE_PARAMETERS = 30_000;

// The statements are written as text (CompiledQuery.raw), not built with Kysely's `sql`: tens of
// thousands of parameters per statement would spend more time in building and compiling the
// query tree than in the database.
const insertRows = async (db: Executor, dialect: Dialect, table: Table, rows: unknown[][]): Promise<void> => {
  const columns = TABLES[table];
  const names = columns.map((c) => c.name).join(', ');
  if (dialect === 'postgres') {
    // One array parameter per column: the statement's size does not grow with the rows.
    const arrays = columns.map((c, j) => `$${j + 1}::${c.pgType}[]`).join(', ');
    await db.executeQuery(
      CompiledQuery.raw(
        `insert into ${table} (${names}) select * from unnest(${arrays})`,
        columns.map((_, j) => rows.map((r) => r[j])),
      ),
    );
    return;
  }
  const perStatement = Math.floor(SQLITE_PARAMETERS / columns.length);
  const row = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const part = rows.slice(i, i + perStatement);
    await db.executeQuery(
      CompiledQuery.raw(
        `insert into ${table} (${names}) values ${Array(part.length).fill(row).join(', ')}`,
        part.flat(),
      ),
    );
  }
};

/** Seeds the fleet in batches, one transaction per batch. The tenant must exist. */
export const seedFleet = async (store: Store, opts: FleetSeedOptions): Promise<SeededFleet> => {
  const first = opts.first ?? 0;
  const batch = opts.batch ?? 5000;
  const startMs = opts.startMs ?? Date.now() - (first + opts.devices) * FLEET_SPACING_MS;
  const out: SeededDevice[] = [];
  const statusCounts = Object.fromEntries(FLEET_STATUSES.map((s) => [s, 0])) as Record<FleetStatus, number>;
  for (let from = first; from < first + opts.devices; from += batch) {
    const to = Math.min(first + opts.devices, from + batch);
    const devices: unknown[][] = [];
    const authSets: unknown[][] = [];
    const attributes: unknown[][] = [];
    for (let i = from; i < to; i++) {
      const id = randomUUID();
      const status = fleetStatusOf(i);
      const createdAt = startMs + i * FLEET_SPACING_MS;
      const mac = fleetMac(i);
      const identity = canonicalIdentity({ mac });
      const accepted = status === 'accepted';
      devices.push([
        id,
        opts.tenantId,
        identity.text,
        identity.sha256,
        status,
        createdAt,
        createdAt,
        accepted ? createdAt + 60_000 : null,
      ]);
      const attr = (scope: string, name: string, value: unknown) =>
        attributes.push([opts.tenantId, id, scope, name, JSON.stringify(value), null, createdAt]);
      // The identity scope as inventory's device hooks keep it: the identity, then the status.
      attr('identity', 'mac', mac);
      attr('identity', 'status', status);
      let fingerprint: string | undefined;
      if (status !== 'noauth') {
        const key = keyOf(opts.tenantId, i);
        fingerprint = key.sha256;
        authSets.push([
          randomUUID(),
          opts.tenantId,
          id,
          key.pem,
          key.sha256,
          'ed25519',
          status,
          createdAt,
          createdAt,
        ]);
      }
      if (accepted) {
        attr('inventory', 'device_type', i % 3 === 0 ? 'raspberrypi4' : 'qemux86-64');
        attr('inventory', 'artifact_name', `release-${i % 7}`);
        attr('system', 'group', fleetGroup(i));
        const site = fleetSite(i);
        if (site !== undefined) attr('tags', 'site', site);
      }
      statusCounts[status]++;
      out.push({ index: i, id, status, mac, fingerprint, createdAt });
    }
    await store.db.transaction().execute(async (tx) => {
      await insertRows(tx, store.dialect, 'devices', devices);
      await insertRows(tx, store.dialect, 'auth_sets', authSets);
      await insertRows(tx, store.dialect, 'inventory_attributes', attributes);
    });
    opts.onProgress?.(to - first);
  }
  return { devices: out, statusCounts };
};

/**
 * PostgreSQL: the statistics and visibility map autovacuum would produce after a bulk load (the
 * planner's row estimates; index-only scans). SQLite plans without statistics, as Gatehouse runs it.
 */
export const analyzeFleet = async (store: Store): Promise<void> => {
  if (store.dialect === 'postgres') await sql`vacuum analyze`.execute(store.db);
};

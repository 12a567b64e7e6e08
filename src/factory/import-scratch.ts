import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ImportRow, KnownState, PlannedCreate } from '../devauth/index.js';

/**
 * What a dry run would have created so far, so that later rows of the same manifest (a
 * duplicate identity or key) are judged as the real import would judge them. Kept in a
 * temporary SQLite file, not in memory: a dry run of a million rows stays as small as one of ten.
 */
export interface DryRunScratch {
  /** Adds to `known` what earlier batches of this dry run would have created for these rows. */
  addKnown(known: KnownState, rows: readonly ImportRow[]): void;
  recordCreates(creates: readonly PlannedCreate[]): void;
  close(): void;
}

export const openDryRunScratch = (): DryRunScratch => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dry-run-'));
  const db = new Database(join(dir, 'scratch.db'));
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.exec(`create table identities (sha text primary key, device_id text not null);
           create table keys (sha text primary key, device_id text not null);`);
  const identity = db.prepare<[string], { device_id: string }>(
    'select device_id from identities where sha = ?',
  );
  const key = db.prepare<[string], { device_id: string }>('select device_id from keys where sha = ?');
  const addIdentity = db.prepare('insert or ignore into identities (sha, device_id) values (?, ?)');
  const addKey = db.prepare('insert or ignore into keys (sha, device_id) values (?, ?)');
  const record = db.transaction((creates: readonly PlannedCreate[]) => {
    for (const c of creates) {
      addIdentity.run(c.row.identity.sha256, c.deviceId);
      addKey.run(c.row.key.sha256, c.deviceId);
    }
  });
  return {
    addKnown(known, rows) {
      for (const r of rows) {
        if (!known.devices.has(r.identity.sha256)) {
          const hit = identity.get(r.identity.sha256);
          if (hit) known.devices.set(r.identity.sha256, { id: hit.device_id, status: 'preauthorized' });
        }
        if (!known.keys.has(r.key.sha256)) {
          const hit = key.get(r.key.sha256);
          if (hit) known.keys.set(r.key.sha256, { deviceId: hit.device_id, status: 'preauthorized' });
        }
      }
    },
    recordCreates: (creates) => record(creates),
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

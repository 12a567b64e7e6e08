import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signManifest } from '../../src/factory/index.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { holdDatabase } from '../helpers/hold-database.js';
import { between, seededRandom, testSeed } from '../helpers/seeded.js';
import { eventually } from '../helpers/webhook-receiver.js';
import { runGatehouseCli, startGatehouseCli } from './helpers/gatehouse-process.js';

/**
 * Crash safety of `gatehouse devices import` (docs/factory-manifests.md): a real `gatehouse`
 * process importing a signed 10,000-device manifest is killed with SIGKILL at a random point
 * (seeded, printed), then the same command runs again. It must resume the same import and finish
 * it: exactly one device, one preauthorized auth set and one event per row, exit 0, and the
 * import's counts add up to the manifest.
 */
const ROWS = 10_000;

describe.each(dialects())('kill -9 during devices import on %s', (dialect) => {
  let db: TestDatabase;
  let store: Store;
  let file: string;
  let hold: Awaited<ReturnType<typeof holdDatabase>> | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    hold = await holdDatabase(db);
    store = openStore({ databaseUrl: db.url });
    const factory = generateKeyPairSync('ed25519');
    const pubFile = join(db.dataDir, 'factory.pub');
    writeFileSync(pubFile, factory.publicKey.export({ type: 'spki', format: 'pem' }));
    await runGatehouseCli(db, ['factories', 'register', '--name', 'line-9', '--public-key', pubFile]);
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i++) {
      const pem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' });
      lines.push(`${JSON.stringify({ identity: { sn: `crash-${i}` }, pubkey: pem })}\n`);
    }
    const text = lines.join('');
    file = join(db.dataDir, 'manifest.jsonl');
    writeFileSync(file, text);
    const sha = createHash('sha256').update(text).digest('hex');
    writeFileSync(`${file}.sig`, signManifest(factory.privateKey, sha));
  }, 120_000);
  afterAll(async () => {
    await store?.destroy();
    await hold?.release();
    await db?.drop();
  });

  const count = async (table: 'devices' | 'auth_sets') =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** Every device that exists is whole: one preauthorized auth set, one event, the line it came from. */
  const checkComplete = async (): Promise<number> => {
    const devices = await store.db
      .selectFrom('devices')
      .select(['id', 'id_data', 'import_line', 'status'])
      .execute();
    const sets = await store.db.selectFrom('auth_sets').select(['device_id', 'status']).execute();
    const events = await store.db
      .selectFrom('events')
      .select('device_id')
      .where('type', '=', 'device.preauthorized')
      .execute();
    const setsOf = new Map<string, number>();
    for (const s of sets) setsOf.set(s.device_id, (setsOf.get(s.device_id) ?? 0) + 1);
    const eventsOf = new Map<string, number>();
    for (const e of events)
      eventsOf.set(e.device_id as string, (eventsOf.get(e.device_id as string) ?? 0) + 1);
    const wrong: string[] = [];
    const seen = new Set<string>();
    for (const d of devices) {
      const i = Number(JSON.parse(d.id_data).sn.slice('crash-'.length));
      if (seen.has(d.id_data)) wrong.push(`${d.id_data} twice`);
      seen.add(d.id_data);
      if (Number(d.import_line) !== i + 1) wrong.push(`${d.id_data} line ${d.import_line}`);
      if (d.status !== 'preauthorized') wrong.push(`${d.id_data} ${d.status}`);
      if (setsOf.get(d.id) !== 1) wrong.push(`${d.id_data} ${setsOf.get(d.id) ?? 0} auth sets`);
      if (eventsOf.get(d.id) !== 1) wrong.push(`${d.id_data} ${eventsOf.get(d.id) ?? 0} events`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(sets).toHaveLength(devices.length);
    expect(events).toHaveLength(devices.length);
    return devices.length;
  };

  it(`a ${ROWS}-device import killed at a random point, then run again: every row once, exit 0`, async () => {
    const random = seededRandom(testSeed(`crash-device-import on ${dialect}`));
    const killAtRows = between(random, 1_000, 7_000);
    const extraMs = between(random, 0, 150);

    const first = startGatehouseCli(db, ['devices', 'import', file, '--json']);
    let finished = false;
    void first.exited.then(() => {
      finished = true;
    });
    await eventually(
      `${killAtRows} rows imported`,
      async () => finished || (await count('devices')) >= killAtRows,
      120_000,
    );
    await new Promise((r) => setTimeout(r, extraMs));
    expect(finished, `the import finished before the kill point:\n${first.stderr.join('')}`).toBe(false);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const before = await checkComplete();
    expect(before).toBeGreaterThanOrEqual(killAtRows);
    expect(before).toBeLessThan(ROWS);

    const again = startGatehouseCli(db, ['devices', 'import', file, '--json']);
    expect(await again.exited, again.stderr.join('')).toBe(0);
    expect(again.stderr.join('')).toMatch(/resuming import/);
    const report = JSON.parse(again.stdout.join(''));
    // The same import, finished: its counts cover both runs.
    expect(report).toMatchObject({
      status: 'succeeded',
      counts: { rows: ROWS, created: ROWS, unchanged: 0, conflicts: 0, invalid: 0 },
    });
    console.log(
      `crash-device-import on ${dialect}: killed after ${before} devices; the rerun finished the import`,
    );
    expect(await checkComplete()).toBe(ROWS);
    expect(await count('auth_sets')).toBe(ROWS);
    const imports = await store.db.selectFrom('device_imports').select(['status']).execute();
    expect(imports).toEqual([{ status: 'succeeded' }]);

    // Once more: a new import that finds every row unchanged.
    const third = startGatehouseCli(db, ['devices', 'import', file]);
    expect(await third.exited, third.stderr.join('')).toBe(0);
    expect(third.stdout.join('')).toMatch(
      new RegExp(`${ROWS} rows: 0 created, ${ROWS} unchanged, 0 conflicts, 0 invalid`),
    );
  }, 300_000);
});

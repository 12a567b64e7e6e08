import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, dialects, type TestDatabase } from '../helpers/databases.js';
import { holdDatabase } from '../helpers/hold-database.js';
import { between, seededRandom, testSeed } from '../helpers/seeded.js';
import { eventually } from '../helpers/webhook-receiver.js';
import { runGatehouseCli, startGatehouseCli } from './helpers/gatehouse-process.js';

/**
 * Crash safety of `gatehouse bootstrap import` (docs/bootstrap-import.md): a real `gatehouse`
 * process importing 20,000 rows is killed with SIGKILL at a random point (seeded, printed), then
 * the same file is imported again. Every row must end up present exactly once, in the state the
 * file gives it, with its channel connection in that state, and with one creation event; the
 * rerun exits 0 and its report adds up.
 */
const ROWS = 20_000;

const stateOf = (i: number) => (i % 3 === 0 ? 1 : 0);
const hasChannel = (i: number) => i % 4 === 0;

describe.each(dialects())('kill -9 during bootstrap import on %s', (dialect) => {
  let db: TestDatabase;
  let store: Store;
  let channel: string;
  let file: string;
  let hold: Awaited<ReturnType<typeof holdDatabase>> | undefined;

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    hold = await holdDatabase(db);
    store = openStore({ databaseUrl: db.url });
    channel = JSON.parse(
      await runGatehouseCli(db, ['bootstrap', 'channels', 'create', '--name', 'crash', '--json']),
    ).id;
    const lines = ['external_id,external_key,name,state,channels'];
    for (let i = 0; i < ROWS; i++)
      lines.push(`crash-${i},key-${i}-0123456789,name ${i},${stateOf(i)},${hasChannel(i) ? channel : ''}`);
    file = join(db.dataDir, 'configs.csv');
    writeFileSync(file, `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await store?.destroy();
    await hold?.release();
    await db?.drop();
  });

  const count = async () =>
    Number(
      (
        await store.db
          .selectFrom('bootstrap_configs')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** Every config that exists is complete: its state, its connection, one creation event. */
  const checkComplete = async (): Promise<number> => {
    const configs = await store.db
      .selectFrom('bootstrap_configs')
      .select(['id', 'external_id', 'state'])
      .execute();
    const connections = new Map(
      (await store.db.selectFrom('bootstrap_connections').select(['config_id', 'active']).execute()).map(
        (c) => [c.config_id, Number(c.active)],
      ),
    );
    const created = await store.db
      .selectFrom('events')
      .select('payload')
      .where('type', '=', 'bootstrap.config_created')
      .execute();
    const events = new Map<string, number>();
    for (const e of created) {
      const id = JSON.parse(e.payload).client_id as string;
      events.set(id, (events.get(id) ?? 0) + 1);
    }
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const c of configs) {
      const i = Number(c.external_id.slice('crash-'.length));
      if (seen.has(c.external_id)) wrong.push(`${c.external_id} twice`);
      seen.add(c.external_id);
      if (Number(c.state) !== stateOf(i)) wrong.push(`${c.external_id} state ${c.state}`);
      const active = connections.get(c.id);
      if (hasChannel(i) ? active !== stateOf(i) : active !== undefined)
        wrong.push(`${c.external_id} connection ${active}`);
      if (events.get(c.id) !== 1) wrong.push(`${c.external_id} ${events.get(c.id) ?? 0} events`);
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(connections.size).toBe(configs.filter((c) => hasChannel(Number(c.external_id.slice(6)))).length);
    expect(created).toHaveLength(configs.length);
    return configs.length;
  };

  it(`a ${ROWS}-row import killed at a random point, then run again: every row once, in its state, exit 0`, async () => {
    const random = seededRandom(testSeed(`crash-import on ${dialect}`));
    const killAtRows = between(random, 500, 15_000);
    const extraMs = between(random, 0, 150);

    const first = startGatehouseCli(db, ['bootstrap', 'import', '--file', file, '--json']);
    let finished = false;
    void first.exited.then(() => {
      finished = true;
    });
    await eventually(
      `${killAtRows} rows imported`,
      async () => finished || (await count()) >= killAtRows,
      120_000,
    );
    await new Promise((r) => setTimeout(r, extraMs));
    expect(finished, `the import finished before the kill point:\n${first.stderr.join('')}`).toBe(false);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const before = await checkComplete();
    expect(before).toBeGreaterThanOrEqual(killAtRows);
    expect(before).toBeLessThan(ROWS);

    const startedAt = Date.now();
    const again = startGatehouseCli(db, ['bootstrap', 'import', '--file', file, '--json']);
    expect(await again.exited, again.stderr.join('')).toBe(0);
    const tookMs = Date.now() - startedAt;
    const report = JSON.parse(again.stdout.join(''));
    expect(report).toMatchObject({
      rows: ROWS,
      created: ROWS - before,
      unchanged: before,
      updated: 0,
      conflicting: 0,
      invalid: 0,
    });
    console.log(
      `crash-import on ${dialect}: killed after ${before} rows; rerun created ${ROWS - before}, found ${before} unchanged, in ${tookMs} ms (process start included)`,
    );
    expect(await checkComplete()).toBe(ROWS);

    // The same file once more: nothing to do. A row that differs: exit 2, named.
    const third = startGatehouseCli(db, ['bootstrap', 'import', '--file', file]);
    expect(await third.exited, third.stderr.join('')).toBe(0);
    expect(third.stdout.join('')).toBe(
      `${ROWS} rows: 0 created, ${ROWS} unchanged, 0 updated, 0 conflicting, 0 invalid\n`,
    );
    const changed = join(db.dataDir, 'changed.csv');
    writeFileSync(
      changed,
      `external_id,external_key,state\ncrash-2,key-2-0123456789,0\ncrash-3,key-3-0123456789,0\ncrash-new,k,1\n`,
    );
    const conflict = startGatehouseCli(db, ['bootstrap', 'import', '--file', changed]);
    expect(await conflict.exited, conflict.stderr.join('')).toBe(2);
    expect(conflict.stdout.join('')).toMatch(
      /^line 3: crash-3: conflicting \(state\): differs \(--update applies the file\)\nline 4: crash-new → created [0-9a-f-]{36}\n3 rows: 1 created, 1 unchanged, 0 updated, 1 conflicting, 0 invalid\n$/,
    );
    expect(conflict.stderr.join('')).toMatch(/1 of 3 rows were not applied/);
  }, 240_000);
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseImportFile } from '../../src/bootstrap/index.js';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { gatehouseCli } from '../helpers/cli.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

interface Report {
  rows: number;
  created: number;
  unchanged: number;
  updated: number;
  conflicting: number;
  invalid: number;
  results: {
    line: number;
    external_id: string;
    outcome: string;
    client_id?: string;
    fields?: string[];
    reason?: string;
  }[];
}

// `gatehouse bootstrap import` as a reconciliation: each row created with its final state in one
// transaction, a rerun reports created / unchanged / conflicting, --update applies differences.
describe.each(dialects())('gatehouse bootstrap import on %s', (dialect) => {
  let t: TestServer;
  let store: string[];
  let ch1: string;
  let ch2: string;
  let seq = 0;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    store = ['--data-dir', t.db.dataDir, '--database-url', t.db.url];
    ch1 = (await t.gh.bootstrap.channels.create(DEFAULT_TENANT_ID, { name: 'import-a' })).id;
    ch2 = (await t.gh.bootstrap.channels.create(DEFAULT_TENANT_ID, { name: 'import-b' })).id;
  });
  afterAll(() => t.close());

  const file = (ext: string, text: string) => {
    const f = join(t.db.dataDir, `import-${++seq}.${ext}`);
    writeFileSync(f, text);
    return f;
  };
  const run = async (f: string, ...extra: string[]) => {
    const r = await gatehouseCli('bootstrap', 'import', '--file', f, '--json', ...extra, ...store);
    return { ...r, report: (r.out ? JSON.parse(r.out) : undefined) as Report };
  };
  const config = async (externalId: string) => {
    const { configs } = await t.gh.bootstrap.configs.list(DEFAULT_TENANT_ID, {
      externalId,
      offset: 0,
      limit: 1,
    });
    return configs[0];
  };
  const eventsOf = async (clientId: string) =>
    (await t.gh.store.db.selectFrom('events').select(['type', 'payload']).orderBy('id').execute())
      .filter((e) => JSON.parse(e.payload).client_id === clientId)
      .map((e) => ({ type: e.type, ...JSON.parse(e.payload) }));

  it('creates each row in its final state, one event each; the same file again changes nothing', async () => {
    const f = file(
      'csv',
      [
        'external_id,external_key,name,state,channels,content,client_secret',
        `a-1,key-1,gw a-1,1,${ch1};${ch2},hello,`,
        `a-2,key-2,,0,${ch1},,sec-2`,
        'a-3,key-3,gw a-3,1,,,',
      ].join('\n'),
    );
    const first = await run(f);
    expect(first.code, first.err).toBe(0);
    expect(first.report).toMatchObject({ rows: 3, created: 3, unchanged: 0, conflicting: 0, invalid: 0 });
    const a1 = await config('a-1');
    expect(a1).toMatchObject({ state: 1, name: 'gw a-1', content: 'hello' });
    expect(a1?.channels.map((c) => [c.id, c.active]).sort()).toEqual(
      [
        [ch1, true],
        [ch2, true],
      ].sort(),
    );
    expect((await config('a-2'))?.channels.map((c) => c.active)).toEqual([false]);
    // Created enabled: no create-then-enable, so no state change to observe.
    expect(await eventsOf(a1?.id as string)).toEqual([
      expect.objectContaining({ type: 'bootstrap.config_created', state: 1, via: 'import' }),
    ]);

    const again = await run(f);
    expect(again.code, again.err).toBe(0);
    expect(again.report).toMatchObject({ rows: 3, created: 0, unchanged: 3 });
    expect(again.report.results.map((r) => r.client_id)).toEqual(
      first.report.results.map((r) => r.client_id),
    );
    const human = await gatehouseCli('bootstrap', 'import', '--file', f, ...store);
    expect(human.out).toBe('3 rows: 0 created, 3 unchanged, 0 updated, 0 conflicting, 0 invalid\n');
  });

  it('reports rows that differ as conflicting (exit 2), names the fields, never the secrets', async () => {
    await run(
      file(
        'jsonl',
        [
          { external_id: 'c-1', external_key: 'ck-1', name: 'c one', state: 0, client_secret: 's-1' },
          { external_id: 'c-2', external_key: 'ck-2', name: 'c two', client_key: 'KEY-2' },
        ]
          .map((o) => JSON.stringify(o))
          .join('\n'),
      ),
    );
    const taken = (await config('a-1'))?.id as string;
    const f = file(
      'jsonl',
      [
        { external_id: 'c-1', external_key: 'ck-1', name: 'c one', state: 1, client_secret: 's-1' },
        { external_id: 'c-2', external_key: 'other-key', client_key: 'OTHER-KEY' },
        { external_id: 'c-1b', external_key: 'k', name: 'c two' },
        { external_id: 'c-3', external_key: 'k', client_id: taken },
        { external_id: 'c-4', external_key: 'k', name: 'fine' },
        { external_id: 'c-1', external_key: 'ck-1', client_secret: 'not-s-1' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const r = await run(f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/5 of 6 rows were not applied \(4 conflicting, 1 invalid\)/);
    expect(r.report.results).toEqual([
      expect.objectContaining({ line: 1, outcome: 'conflicting', fields: ['state'] }),
      expect.objectContaining({
        line: 2,
        outcome: 'conflicting',
        fields: ['external_key', 'client_key'],
        reason: expect.stringMatching(/^external_key cannot be changed by an import/),
      }),
      expect.objectContaining({
        line: 3,
        outcome: 'conflicting',
        reason: 'name is already in use (external_id c-2)',
      }),
      expect.objectContaining({
        line: 4,
        outcome: 'conflicting',
        reason: expect.stringMatching(/^client_id is already in use/),
      }),
      expect.objectContaining({ line: 5, outcome: 'created' }),
      expect.objectContaining({ line: 6, outcome: 'invalid', reason: 'same external_id as line 1' }),
    ]);
    for (const secret of ['other-key', 'OTHER-KEY', 'not-s-1', 'ck-1', 's-1'])
      expect(`${r.out}${r.err}`).not.toContain(`"${secret}"`);
    expect((await config('c-1'))?.state).toBe(0);
    // Same secrets: unchanged (compared through their keyed hashes / the sealed client key).
    const same = await run(
      file(
        'jsonl',
        `{"external_id":"c-1","external_key":"ck-1","client_secret":"s-1"}\n{"external_id":"c-2","external_key":"ck-2","client_key":"KEY-2"}\n`,
      ),
    );
    expect(same.code, same.err).toBe(0);
    expect(same.report).toMatchObject({ unchanged: 2 });
  });

  it('--update applies what differs in one transaction per row; secrets stay conflicting', async () => {
    const f = file(
      'csv',
      `external_id,external_key,name,state,channels,content_template,content\nu-1,uk-1,u one,0,${ch1},none,x\n`,
    );
    expect((await run(f)).code).toBe(0);
    const before = await config('u-1');
    const changed = file(
      'csv',
      `external_id,external_key,name,state,channels,content_template,content\nu-1,uk-1,u uno,1,${ch2},text,hi {{config.external_id}}\n`,
    );
    const plain = await run(changed);
    expect(plain.code).toBe(2);
    expect(plain.report.results[0]).toMatchObject({
      outcome: 'conflicting',
      fields: ['name', 'content', 'content_template', 'channels', 'state'],
    });
    const updated = await run(changed, '--update');
    expect(updated.code, updated.err).toBe(0);
    expect(updated.report.results[0]).toMatchObject({ outcome: 'updated', client_id: before?.id });
    expect(await config('u-1')).toMatchObject({
      name: 'u uno',
      state: 1,
      contentTemplate: 'text',
      channels: [expect.objectContaining({ id: ch2, active: true })],
    });
    expect((await eventsOf(before?.id as string)).map((e) => e.type)).toEqual([
      'bootstrap.config_created',
      'bootstrap.config_updated',
      'bootstrap.state_changed',
    ]);
    expect((await run(changed)).report).toMatchObject({ unchanged: 1 });
    const rekey = await run(file('csv', 'external_id,external_key\nu-1,new-key\n'), '--update');
    expect(rekey.code).toBe(2);
    expect(rekey.report.results[0]).toMatchObject({ outcome: 'conflicting', fields: ['external_key'] });
  });

  it('refuses invalid rows one by one and imports the rest', async () => {
    const long = 'x'.repeat(257);
    const f = file(
      'jsonl',
      [
        { external_id: 'i-1', external_key: 'k', channels: ['no-such-channel'] },
        { external_id: 'i-2', external_key: 'k', content_template: 'json', content: '{{ nope' },
        { external_id: 'i-3', external_key: 'k', name: long },
        { external_id: 'i-4', external_key: 'k\u0000' },
        { external_id: 'i-5', external_key: 'k', client_id: 'not-a-uuid' },
        { external_id: 'i-6', external_key: 'k', device_id: '00000000-0000-4000-8000-00000000dead' },
        { external_id: 'i-7', external_key: 'k', state: 1, channels: [ch1] },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const r = await run(f);
    expect(r.code).toBe(2);
    expect(r.report).toMatchObject({ rows: 7, created: 1, invalid: 6 });
    expect(r.report.results.map((x) => [x.line, x.outcome, x.reason])).toEqual([
      [1, 'invalid', 'unknown channel ids: no-such-channel'],
      [2, 'invalid', expect.stringMatching(/^invalid content template/)],
      [3, 'invalid', 'name longer than 256 characters'],
      [4, 'invalid', 'external_key contains NUL (U+0000)'],
      [5, 'invalid', 'client_id must be a UUID'],
      [6, 'invalid', 'device not found in this tenant'],
      [7, 'created', undefined],
    ]);
  });

  it('two imports of one file at once: every row once, both succeed', async () => {
    const lines = ['external_id,external_key,state'];
    for (let i = 0; i < 1200; i++) lines.push(`race-${i},key-${i},${i % 2}`);
    const rows = parseImportFile('race.csv', lines.join('\n'));
    const [a, b] = await Promise.all([
      t.gh.bootstrap.importer.importRows(DEFAULT_TENANT_ID, rows, { update: false }),
      t.gh.bootstrap.importer.importRows(DEFAULT_TENANT_ID, rows, { update: false }),
    ]);
    for (const r of [a, b]) expect(r.counts.conflicting + r.counts.invalid).toBe(0);
    expect(a.counts.created + b.counts.created).toBe(1200);
    const n = await t.gh.store.db
      .selectFrom('bootstrap_configs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('external_id', 'like', 'race-%')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1200);
  });

  it('names an unknown tenant (exit 1) and refuses a malformed file before writing anything', async () => {
    const f = file('csv', 'external_id,external_key\nt-1,k\n');
    const r = await gatehouseCli('bootstrap', 'import', '--file', f, '--tenant', 'nope', ...store);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tenant not found/);
    const bad = await gatehouseCli(
      'bootstrap',
      'import',
      '--file',
      file('csv', 'external_id,external_key\nm-1,k\nm-2,"open\n'),
      ...store,
    );
    expect(bad.code).toBe(1);
    expect(await config('m-1')).toBeUndefined();
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { gatehouseCli } from '../helpers/cli.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';

const ENCRYPT_KEY = 'cli-test-key-0123456789abcdefghi'; // 32 bytes

const gatehouse = gatehouseCli;

describe.each(dialects())('gatehouse bootstrap (CLI) on %s', (dialect) => {
  let t: TestServer;
  let url: string;
  let store: string[];

  beforeAll(async () => {
    t = await startTestGatehouse(dialect, { flags: { bootstrapEncryptKey: ENCRYPT_KEY } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = t.app.server.address();
    url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    store = ['--data-dir', t.db.dataDir, '--database-url', t.db.url];
  });
  afterAll(() => t.close());

  it('creates channels and configs, lists, enables and disables', async () => {
    const ch = await gatehouse(
      'bootstrap',
      'channels',
      'create',
      '--name',
      'cli-telemetry',
      '--json',
      ...store,
    );
    expect(ch.code, ch.err).toBe(0);
    const channelId = (JSON.parse(ch.out) as { id: string }).id;
    const created = await gatehouse(
      'bootstrap',
      'create',
      '--external-id',
      'cli-1',
      '--external-key',
      'cli-key-1',
      '--channel',
      channelId,
      '--name',
      'cli one',
      '--content',
      'hello',
      '--json',
      ...store,
    );
    expect(created.code, created.err).toBe(0);
    const config = JSON.parse(created.out) as { client_id: string; state: number; channels: string[] };
    expect(config).toMatchObject({ state: 0, held: false, channels: [channelId] });

    const human = await gatehouse('bootstrap', 'list', ...store);
    expect(human.out).toMatch(
      new RegExp(`${config.client_id}\\s+disabled\\s+delivers\\s+cli-1\\s+cli one\\s+channels=1`),
    );
    // Held and released, and the tenant's default for new configs.
    const held = await gatehouse('bootstrap', 'hold', '--id', config.client_id, '--json', ...store);
    expect(held.code, held.err).toBe(0);
    expect(JSON.parse(held.out)).toMatchObject({ client_id: config.client_id, held: true });
    expect(
      JSON.parse((await gatehouse('bootstrap', 'list', '--held', 'true', '--json', ...store)).out).total,
    ).toBe(1);
    expect((await gatehouse('bootstrap', 'release', '--id', config.client_id, ...store)).out).toBe(
      `${config.client_id} released\n`,
    );
    expect((await gatehouse('bootstrap', 'settings', ...store)).out).toBe('hold_new_configs=off\n');
    expect((await gatehouse('bootstrap', 'settings', '--hold-new-configs', 'on', ...store)).out).toBe(
      'hold_new_configs=on\n',
    );
    const defaulted = JSON.parse(
      (
        await gatehouse(
          'bootstrap',
          'create',
          '--external-id',
          'cli-held',
          '--external-key',
          'k',
          '--json',
          ...store,
        )
      ).out,
    );
    expect(defaulted).toMatchObject({ held: true });
    const overridden = JSON.parse(
      (
        await gatehouse(
          'bootstrap',
          'create',
          '--external-id',
          'cli-not-held',
          '--external-key',
          'k',
          '--no-held',
          '--json',
          ...store,
        )
      ).out,
    );
    expect(overridden).toMatchObject({ held: false });
    for (const id of [defaulted.client_id, overridden.client_id])
      expect((await gatehouse('bootstrap', 'remove', '--id', id, ...store)).code).toBe(0);
    await gatehouse('bootstrap', 'settings', '--hold-new-configs', 'off', ...store);
    expect((await gatehouse('bootstrap', 'enable', '--id', config.client_id, ...store)).code).toBe(0);
    const enabled = JSON.parse(
      (await gatehouse('bootstrap', 'list', '--state', '1', '--json', ...store)).out,
    );
    expect(enabled.configs.map((c: { client_id: string }) => c.client_id)).toEqual([config.client_id]);
    expect((await gatehouse('bootstrap', 'disable', '--id', config.client_id, ...store)).code).toBe(0);
    expect(
      JSON.parse((await gatehouse('bootstrap', 'list', '--state', '1', '--json', ...store)).out).total,
    ).toBe(0);

    const missing = await gatehouse('bootstrap', 'enable', '--id', 'nope', ...store);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe('error: bootstrap config not found\n');
  });

  it('imports CSV and JSONL files, reporting the lines that fail', async () => {
    const csv = join(t.db.dataDir, 'configs.csv');
    writeFileSync(
      csv,
      'external_id,external_key,name,state,content\ncsv-1,k1,"csv, one",1,"say ""hi"""\ncsv-2,k2,,0,\n',
    );
    const a = await gatehouse('bootstrap', 'import', '--file', csv, '--json', ...store);
    expect(a.code, a.err).toBe(0);
    expect(JSON.parse(a.out)).toMatchObject({
      rows: 2,
      created: 2,
      unchanged: 0,
      conflicting: 0,
      invalid: 0,
    });
    const jsonl = join(t.db.dataDir, 'configs.jsonl');
    writeFileSync(
      jsonl,
      '{"external_id":"jl-1","external_key":"k","state":1}\n{"external_id":"csv-1","external_key":"dup"}\n',
    );
    const b = await gatehouse('bootstrap', 'import', '--file', jsonl, ...store);
    expect(b.code).toBe(2);
    expect(b.out).toMatch(
      /^line 1: jl-1 → created [0-9a-f-]{36}\nline 2: csv-1: conflicting \(external_key\): external_key cannot be changed by an import/,
    );
    expect(b.out).not.toContain('dup');
    expect(b.err).toMatch(/1 of 2 rows were not applied \(1 conflicting, 0 invalid\)/);
    const list = JSON.parse((await gatehouse('bootstrap', 'list', '--json', ...store)).out) as {
      configs: { external_id: string; name: string | null; state: number }[];
    };
    expect(list.configs.find((c) => c.external_id === 'csv-1')).toMatchObject({ name: 'csv, one', state: 1 });
    expect(list.configs.find((c) => c.external_id === 'jl-1')?.state).toBe(1);
  });

  it('fetches a config as a device would: plain, secure and v2, over HTTP', async () => {
    const created = await gatehouse(
      'bootstrap',
      'create',
      '--external-id',
      'fetch-1',
      '--external-key',
      'fetch-key',
      '--content',
      'fetched',
      '--enable',
      '--json',
      ...store,
    );
    const id = (JSON.parse(created.out) as { client_id: string }).client_id;
    const common = [
      'bootstrap',
      'fetch',
      '--url',
      url,
      '--external-id',
      'fetch-1',
      '--external-key',
      'fetch-key',
    ];
    for (const mode of [
      [],
      ['--secure', '--encrypt-key', ENCRYPT_KEY],
      ['--v2', '--tenant', DEFAULT_TENANT_ID],
    ]) {
      const r = await gatehouse(...common, ...mode);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({
        client_id: id,
        content: 'fetched',
        client_secret: expect.any(String),
      });
    }
    const wrong = await gatehouse(
      'bootstrap',
      'fetch',
      '--url',
      url,
      '--external-id',
      'fetch-1',
      '--external-key',
      'nope',
      '--v2',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^error: 403 bootstrap refused/);
  });
});

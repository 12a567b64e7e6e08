import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../src/tenants/index.js';
import { gatehouseCli } from '../helpers/cli.js';
import { dialects } from '../helpers/databases.js';
import { adminToken, bearer, startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { databaseSnapshot } from './db-snapshot.js';
import { devicePublicKey, factoryKeyPair, jsonlLine, writeManifest } from './manifests.js';

const FACTORIES = '/api/management/v2/devauth/factories';
const IMPORTS = '/api/management/v2/devauth/imports';
const spkiSha = (pem: string) =>
  createHash('sha256')
    .update(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'))
    .digest('hex');

interface CliSummary {
  counts: { rows: number; created: number; unchanged: number; conflicts: number; invalid: number };
  problems: { line: number; outcome: string; device_id?: string; reason?: string }[];
  import_id?: string;
  factory_id?: string | null;
}

describe.each(dialects())('device import (bulk preauthorization) on %s', (dialect) => {
  let t: TestServer;
  let store: string[];
  let token: string;
  const factory = factoryKeyPair();
  const stranger = factoryKeyPair();
  let factoryId: string;
  const keys = {
    a: devicePublicKey(),
    b: devicePublicKey('ec'),
    other: devicePublicKey(),
    d: devicePublicKey(),
  };
  let manifest: string;
  let text: string;

  const cli = (...args: string[]) => gatehouseCli(...args, ...store);
  const summary = (out: string) => JSON.parse(out) as CliSummary;

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    store = ['--data-dir', t.db.dataDir, '--database-url', t.db.url];
    token = (await adminToken(t.gh)).token;
    // A device preauthorized one at a time before the import, with the same key as line 12.
    await t.gh.devauth.admin.preauthorize(DEFAULT_TENANT_ID, { identityData: { sn: 'D' }, pubkey: keys.d });
    text = [
      jsonlLine({
        identity: { sn: 'A' },
        pubkey: keys.a,
        fingerprint: spkiSha(keys.a),
        group: 'line-1',
        tags: { batch: 'b7' },
      }),
      jsonlLine({ identity: { sn: 'B', mac: '02:00:00:00:00:02' }, pubkey: keys.b }),
      jsonlLine({ identity: { sn: 'A' }, pubkey: keys.a }), // 3: the same device again
      jsonlLine({ identity: { sn: 'A' }, pubkey: keys.other }), // 4: identity with another key
      jsonlLine({ identity: { sn: 'C' }, pubkey: keys.b }), // 5: key of another device
      jsonlLine({ identity: { sn: 'E' }, pubkey: 'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIB' }), // 6: malformed key
      jsonlLine({ identity: 'sn=F', pubkey: devicePublicKey() }), // 7: malformed identity
      '\n', // 8: empty lines are skipped
      '{"identity": {"sn": "G"}, "pubkey": \n', // 9: not JSON
      jsonlLine({ identity: { sn: 'H' }, pubkey: devicePublicKey(), fingerprint: '0'.repeat(64) }), // 10
      jsonlLine({ identity: { sn: 'I' }, pubkey: devicePublicKey(), colour: 'red' }), // 11: unknown field
      jsonlLine({ identity: { sn: 'D' }, pubkey: keys.d }), // 12: preauthorized before, same key
      jsonlLine({ identity: { sn: 'J' }, pubkey: devicePublicKey(), group: 'no spaces allowed' }), // 13
    ].join('');
    manifest = writeManifest(join(t.db.dataDir, 'line-1.jsonl'), text, factory.privateKey);
  });

  afterAll(async () => {
    await t?.gh.factory.worker.stop();
    await t?.close();
  });

  it('registers a factory key once; a second registration of the key or name is a 409', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: FACTORIES,
      headers: bearer(token),
      payload: { name: 'line-1', public_key: factory.publicPem },
    });
    expect(res.statusCode).toBe(201);
    factoryId = res.json().id;
    expect(res.json()).toMatchObject({ name: 'line-1', key_type: 'ed25519', enabled: true });
    const again = await t.app.inject({
      method: 'POST',
      url: FACTORIES,
      headers: bearer(token),
      payload: { name: 'other', public_key: factory.publicPem },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ factory_id: factoryId });
    const bad = await t.app.inject({
      method: 'POST',
      url: FACTORIES,
      headers: bearer(token),
      payload: { name: 'bad', public_key: 'not a key' },
    });
    expect(bad.statusCode).toBe(400);
  });

  const expectedProblems = [
    { line: 4, outcome: 'conflict', reason: expect.stringContaining('identity exists with a different key') },
    { line: 5, outcome: 'conflict', reason: expect.stringContaining('key is used by another device') },
    { line: 6, outcome: 'invalid', reason: expect.stringContaining('pubkey') },
    { line: 7, outcome: 'invalid', reason: expect.stringContaining('identity') },
    { line: 9, outcome: 'invalid', reason: 'the line is not a JSON value' },
    { line: 10, outcome: 'invalid', reason: expect.stringContaining('fingerprint: does not match') },
    { line: 11, outcome: 'invalid', reason: 'unknown field "colour"' },
    { line: 13, outcome: 'invalid', reason: expect.stringContaining('group') },
  ];
  const expectedCounts = { rows: 12, created: 2, unchanged: 2, conflicts: 2, invalid: 6 };

  it('a dry run reports every row as the import would and leaves the database byte for byte unchanged', async () => {
    const before = await databaseSnapshot(t.gh);
    const r = await cli('devices', 'import', manifest, '--dry-run', '--json');
    expect(r.code, r.err).toBe(2);
    const s = summary(r.out);
    expect(s.counts).toEqual(expectedCounts);
    expect(s.problems).toMatchObject(expectedProblems);
    expect(await databaseSnapshot(t.gh)).toEqual(before);
  });

  it('imports the valid rows, reports each bad row with its line and reason, and records the factory and manifest', async () => {
    const r = await cli(
      'devices',
      'import',
      manifest,
      '--json',
      '--report',
      join(t.db.dataDir, 'report.csv'),
    );
    expect(r.code, r.err).toBe(2);
    const s = summary(r.out);
    expect(s.counts).toEqual(expectedCounts);
    expect(s.problems).toMatchObject(expectedProblems);
    expect(s.factory_id).toBe(factoryId);
    const report = readFileSync(join(t.db.dataDir, 'report.csv'), 'utf8').trim().split('\n');
    expect(report[0]).toBe('line,outcome,device_id,reason');
    expect(report.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([4, 5, 6, 7, 9, 10, 11, 13]);

    const devices = await t.gh.store.db
      .selectFrom('devices')
      .select(['id', 'id_data', 'status', 'import_id', 'import_line', 'factory_id'])
      .where('import_id', '=', s.import_id as string)
      .orderBy('import_line')
      .execute();
    expect(devices.map((d) => [d.id_data, d.status, Number(d.import_line), d.factory_id])).toEqual([
      ['{"sn":"A"}', 'preauthorized', 1, factoryId],
      ['{"mac":"02:00:00:00:00:02","sn":"B"}', 'preauthorized', 2, factoryId],
    ]);
    const shown = await t.app.inject({
      method: 'GET',
      url: `/api/management/v2/devauth/devices/${devices[0]?.id}`,
      headers: bearer(token),
    });
    expect(shown.json().import).toEqual({ id: s.import_id, line: 1, factory_id: factoryId });
    // Exactly one device and auth set per identity and key, whatever the manifest repeats.
    const a = await t.gh.store.db
      .selectFrom('devices')
      .select('id')
      .where('id_data', '=', '{"sn":"A"}')
      .execute();
    expect(a).toHaveLength(1);
    const sets = await t.gh.store.db
      .selectFrom('auth_sets')
      .select(['device_id', 'status'])
      .where('device_id', '=', a[0]?.id as string)
      .execute();
    expect(sets).toEqual([{ device_id: a[0]?.id, status: 'preauthorized' }]);
    // Inventory as for any preauthorized device, plus the row's group and tags.
    const attrs = await t.gh.inventory.device.deviceAttributes(DEFAULT_TENANT_ID, a[0]?.id as string);
    const byName = Object.fromEntries(attrs.map((x) => [`${x.scope}/${x.name}`, x.value]));
    expect(byName).toMatchObject({
      'identity/sn': 'A',
      'identity/status': 'preauthorized',
      'system/group': 'line-1',
      'tags/batch': 'b7',
    });
    // The import is recorded, with its event trail.
    const job = await t.app.inject({
      method: 'GET',
      url: `${IMPORTS}/${s.import_id}`,
      headers: bearer(token),
    });
    expect(job.json()).toMatchObject({
      status: 'succeeded',
      signed: true,
      factory_id: factoryId,
      counts: expectedCounts,
      done_line: 13,
      lines_total: 13,
    });
    const events = await t.gh.store.db
      .selectFrom('events')
      .select('type')
      .where('type', 'in', ['import.started', 'import.finished'])
      .execute();
    expect(events.map((e) => e.type).sort()).toEqual(['import.finished', 'import.started']);
  });

  it('importing the same manifest again changes nothing and reports the imported rows unchanged', async () => {
    const before = await databaseSnapshot(t.gh);
    const r = await cli('devices', 'import', manifest, '--json');
    expect(r.code).toBe(2);
    expect(summary(r.out).counts).toEqual({ ...expectedCounts, created: 0, unchanged: 4 });
    const after = await databaseSnapshot(t.gh);
    for (const table of ['devices', 'auth_sets', 'inventory_attributes'])
      expect(after[table]).toBe(before[table]);
  });

  it('refuses a tampered manifest, one signed by an unregistered key, and an unsigned one, changing nothing', async () => {
    const before = await databaseSnapshot(t.gh);
    const sig = readFileSync(`${manifest}.sig`, 'utf8');
    const tampered = join(t.db.dataDir, 'tampered.jsonl');
    writeFileSync(tampered, text.replace('"sn":"B"', '"sn":"X"'));
    writeFileSync(`${tampered}.sig`, sig);
    const r1 = await cli('devices', 'import', tampered);
    expect(r1.code).toBe(1);
    expect(r1.err).toMatch(/signature does not verify/);
    const foreign = writeManifest(join(t.db.dataDir, 'foreign.jsonl'), text, stranger.privateKey);
    const r2 = await cli('devices', 'import', foreign, '--dry-run');
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/signature does not verify/);
    const unsigned = writeManifest(join(t.db.dataDir, 'unsigned.jsonl'), text);
    const r3 = await cli('devices', 'import', unsigned);
    expect(r3.code).toBe(1);
    expect(r3.err).toMatch(/not signed/);
    const api = await t.app.inject({
      method: 'POST',
      url: IMPORTS,
      headers: {
        ...bearer(token),
        'content-type': 'application/jsonl',
        'x-gatehouse-manifest-signature': sig,
      },
      payload: `${text} `,
    });
    expect(api.statusCode).toBe(400);
    expect(api.json().error).toMatch(/signature does not verify/);
    expect(await databaseSnapshot(t.gh)).toEqual(before);
  });

  it('a disabled factory key signs nothing any more', async () => {
    const other = factoryKeyPair();
    const f = await t.gh.factory.factories.register(DEFAULT_TENANT_ID, {
      name: 'retired',
      publicKeyPem: other.publicPem,
    });
    const path = writeManifest(
      join(t.db.dataDir, 'retired.jsonl'),
      jsonlLine({ identity: { sn: 'R1' }, pubkey: devicePublicKey() }),
      other.privateKey,
    );
    expect((await cli('devices', 'import', path, '--dry-run')).code).toBe(0);
    await t.gh.factory.factories.disable(DEFAULT_TENANT_ID, f.id);
    expect((await cli('devices', 'import', path, '--dry-run')).code).toBe(1);
  });

  it('imports through the API as a job whose progress, problems and error report the API gives', async () => {
    t.gh.factory.worker.start();
    const body = [
      // Line 1 the header; K1's quoted PEM spans lines 2 to 4, K4's lines 7 to 9.
      'identity.sn,identity.mac,pubkey,group,tag.batch\n',
      `K1,02:00:00:00:01:01,"${devicePublicKey().trim()}",line-2,b8\n`,
      `K2,02:00:00:00:01:02,${devicePublicKey('ec').replace(/-----[^-]+-----|\s/g, '')},,\n`,
      'K3,02:00:00:00:01:03,nonsense,,\n',
      `K4,02:00:00:00:01:04,"${keys.a.trim()}",,\n`,
    ].join('');
    const sha = createHash('sha256').update(body).digest('hex');
    const { signManifest } = await import('../../src/factory/index.js');
    const headers = {
      ...bearer(token),
      'content-type': 'text/csv',
      'x-gatehouse-manifest-signature': signManifest(factory.privateKey, sha),
    };
    const dry = await t.app.inject({
      method: 'POST',
      url: `${IMPORTS}?dry_run=true`,
      headers,
      payload: body,
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({
      dry_run: true,
      signed: true,
      counts: { rows: 4, created: 2, unchanged: 0, conflicts: 1, invalid: 1 },
      problems: [
        { line: 6, outcome: 'invalid' },
        { line: 7, outcome: 'conflict' },
      ],
    });
    const res = await t.app.inject({ method: 'POST', url: IMPORTS, headers, payload: body });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id as string;
    let job = res.json();
    for (let i = 0; i < 100 && job.status !== 'succeeded' && job.status !== 'failed'; i++) {
      await sleep(100);
      job = (await t.app.inject({ method: 'GET', url: `${IMPORTS}/${id}`, headers: bearer(token) })).json();
    }
    expect(job).toMatchObject({
      status: 'succeeded',
      counts: { rows: 4, created: 2, conflicts: 1, invalid: 1 },
    });
    const problems = await t.app.inject({
      method: 'GET',
      url: `${IMPORTS}/${id}/problems`,
      headers: bearer(token),
    });
    expect(problems.json().map((p: { line: number }) => p.line)).toEqual([6, 7]);
    const report = await t.app.inject({
      method: 'GET',
      url: `${IMPORTS}/${id}/report`,
      headers: bearer(token),
    });
    expect(report.headers['content-type']).toMatch(/text\/csv/);
    expect(report.body.split('\n')[0]).toBe('line,outcome,device_id,reason');
    expect(report.body).toMatch(/^6,invalid,,/m);
    const list = await t.app.inject({ method: 'GET', url: IMPORTS, headers: bearer(token) });
    expect(list.json()[0].id).toBe(id);
    const k1 = await t.gh.store.db
      .selectFrom('devices')
      .select(['import_line', 'factory_id'])
      .where('id_data', '=', '{"mac":"02:00:00:00:01:01","sn":"K1"}')
      .executeTakeFirstOrThrow();
    expect([Number(k1.import_line), k1.factory_id]).toEqual([2, factoryId]);
  });

  it('another tenant sees none of it', async () => {
    const other = await t.gh.tenants.service.create({ name: `other-${dialect}` });
    const otherToken = (await adminToken(t.gh, { tenantId: other.tenant.id })).token;
    const list = await t.app.inject({ method: 'GET', url: IMPORTS, headers: bearer(otherToken) });
    expect(list.json()).toEqual([]);
    const f = await t.app.inject({
      method: 'GET',
      url: `${FACTORIES}/${factoryId}`,
      headers: bearer(otherToken),
    });
    expect(f.statusCode).toBe(404);
  });
});

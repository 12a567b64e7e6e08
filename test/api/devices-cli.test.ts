import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatehouseCli as gatehouse } from '../helpers/cli.js';
import { dialects } from '../helpers/databases.js';
import { authRequest, type DeviceKeys, makeDeviceKeys } from '../helpers/device-client.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import { hasTool, openssl, pkiDir, run } from '../helpers/openssl.js';

// `gatehouse devices list|show`: the same devices and fingerprints as the management API.

const haveOpenssl = hasTool('openssl');

type DeviceJson = {
  id: string;
  status: string;
  pending_reason?: string;
  auth_sets: { id: string; fingerprint: string; key_type: string; status: string }[];
};

describe.skipIf(!haveOpenssl).each(dialects())('gatehouse devices (CLI) on %s', (dialect) => {
  let t: TestServer;
  let store: string[];
  let tenantId: string;
  let tenantToken: string;
  const dir = pkiDir();

  beforeAll(async () => {
    t = await startTestGatehouse(dialect);
    store = ['--data-dir', t.db.dataDir, '--database-url', t.db.url];
    const created = await t.gh.tenants.service.create({ name: 'cli-devices' });
    tenantId = created.tenant.id;
    tenantToken = created.tenantToken;
  });
  afterAll(() => t?.close());

  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await gatehouse(...args, '--tenant', tenantId, '--json', ...store);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as T;
  };

  it('lists and shows devices with the fingerprints openssl prints', async () => {
    openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'cli.key']);
    openssl(dir, ['pkey', '-in', 'cli.key', '-pubout', '-out', 'cli.pub']);
    const der = openssl(dir, ['pkey', '-pubin', '-in', 'cli.pub', '-outform', 'DER']);
    const fingerprint = run('sha256sum', [], { input: der }).toString().split(' ')[0] as string;
    const keys: DeviceKeys = {
      kind: 'ec',
      privateKey: createPrivateKey(readFileSync(join(dir, 'cli.key'))),
      publicPem: readFileSync(join(dir, 'cli.pub'), 'utf8'),
    };
    expect((await t.app.inject(authRequest(keys, { mac: 'cli-1' }, { tenantToken }))).statusCode).toBe(401);
    await t.app.inject(authRequest(makeDeviceKeys('rsa'), { mac: 'cli-2' }, { tenantToken }));

    const listed = await json<{ total: number; devices: DeviceJson[] }>('devices', 'list');
    expect(listed.total).toBe(2);
    const [one, two] = listed.devices;
    expect(one?.auth_sets[0]).toMatchObject({ fingerprint, key_type: 'ec-p256', status: 'pending' });
    expect(one?.pending_reason).toBe('new_device');
    expect(two?.auth_sets[0]?.key_type).toBe('rsa-2048');

    const human = await gatehouse('devices', 'list', '--tenant', tenantId, ...store);
    expect(human.code, human.err).toBe(0);
    expect(human.out).toContain(`${one?.id}  pending`);
    expect(human.out).toContain('{"mac":"cli-1"}  (pending: new_device)');
    expect(human.out).toContain(`    ${fingerprint}  ec-p256   pending        ${one?.auth_sets[0]?.id}`);
    expect(human.out).toMatch(/2 in total\n$/);

    const shown = await json<DeviceJson>('devices', 'show', one?.id as string);
    expect(shown).toEqual(one);
    const details = await gatehouse('devices', 'show', one?.id as string, '--tenant', tenantId, ...store);
    expect(details.code, details.err).toBe(0);
    expect(details.out).toContain(`device:     ${one?.id}\n`);
    expect(details.out).toContain(`  ${fingerprint}  ec-p256   pending`);

    // Filters: status and search text (here a fingerprint prefix).
    await t.gh.devauth.admin.setAuthSetStatus(
      tenantId,
      one?.id as string,
      one?.auth_sets[0]?.id as string,
      'accepted',
    );
    const accepted = await json<{ total: number; devices: DeviceJson[] }>(
      'devices',
      'list',
      '--status',
      'accepted',
    );
    expect(accepted.devices.map((d) => d.id)).toEqual([one?.id]);
    const byPrint = await json<{ devices: DeviceJson[] }>('devices', 'list', '--q', fingerprint.slice(0, 12));
    expect(byPrint.devices.map((d) => d.id)).toEqual([one?.id]);
    const paged = await json<{ total: number; devices: DeviceJson[] }>(
      'devices',
      'list',
      '--per-page',
      '1',
      '--page',
      '2',
    );
    expect(paged).toMatchObject({ total: 2 });
    expect(paged.devices.map((d) => d.id)).toEqual([two?.id]);

    // Keyset pages: --after "" starts, each answer names the next cursor until the last page.
    const first = await json<{ total: number; devices: DeviceJson[]; next?: string }>(
      'devices',
      'list',
      '--per-page',
      '1',
      '--after',
      '',
    );
    expect(first.devices.map((d) => d.id)).toEqual([one?.id]);
    expect(first.next).toEqual(expect.any(String));
    const second = await json<{ total: number; devices: DeviceJson[]; next?: string }>(
      'devices',
      'list',
      '--per-page',
      '1',
      '--after',
      first.next as string,
    );
    expect(second).toMatchObject({ total: 2 });
    expect(second.devices.map((d) => d.id)).toEqual([two?.id]);
    expect(second.next).toBeUndefined();
    const text = await gatehouse(
      'devices',
      'list',
      '--per-page',
      '1',
      '--after',
      '',
      '--tenant',
      tenantId,
      ...store,
    );
    expect(text.out).toContain(`next page: --after ${first.next}\n`);
  });

  it('says what is wrong: unknown device, bad status, unknown tenant', async () => {
    const unknown = await gatehouse('devices', 'show', randomUUID(), '--tenant', tenantId, ...store);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe('error: device not found\n');
    const badStatus = await gatehouse('devices', 'list', '--status', 'bogus', ...store);
    expect(badStatus.code).not.toBe(0);
    expect(badStatus.err).toMatch(/expected one of pending/);
    const noTenant = await gatehouse('devices', 'list', '--tenant', randomUUID(), ...store);
    expect(noTenant.code).toBe(1);
    expect(noTenant.err).toBe('error: tenant not found\n');
    const empty = await gatehouse('devices', 'list', ...store);
    expect(empty.code, empty.err).toBe(0);
    expect(empty.out).toBe('(no devices)\n');
  });
});

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.js';
import { dialects } from '../helpers/databases.js';
import { startTestGatehouse, type TestServer } from '../helpers/gatehouse.js';
import {
  hasTool,
  type Issued,
  makeRootCa,
  makeVerificationCert,
  pkiDir,
  signWith,
} from '../helpers/openssl.js';
import { certAuth, proxyFlags } from './enrollment-setup.js';

/** Runs `gatehouse ...` in-process; returns its exit code and what it printed. */
const gatehouse = async (...args: string[]) => {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string) => out.push(String(c)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => err.push(String(c)) > 0) as typeof process.stderr.write;
  try {
    const code = await runCli(['node', 'gatehouse', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
  }
};

const haveOpenssl = hasTool('openssl');

describe.skipIf(!haveOpenssl).each(dialects())('gatehouse cas / enrollment (CLI) on %s', (dialect) => {
  let t: TestServer;
  let store: string[];
  const dir = pkiDir();
  let root: Issued;
  let caId: string;

  /** `gatehouse ... --json` that must succeed; its parsed output. */
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await gatehouse(...args, '--json', ...store);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as T;
  };

  beforeAll(async () => {
    root = makeRootCa(dir, 'cli-root');
    t = await startTestGatehouse(dialect, { flags: proxyFlags });
    store = ['--data-dir', t.db.dataDir, '--database-url', t.db.url];
  });
  afterAll(async () => t?.close());

  it('registers a CA, proves possession, lists, disables and enables it', async () => {
    const human = await gatehouse('cas', 'register', '--cert-file', root.crt, '--name', 'factory', ...store);
    expect(human.code, human.err).toBe(0);
    expect(human.out).toMatch(/CA id: +[0-9a-f-]{36}\nstatus: +unverified\n/);
    expect(human.out).toMatch(/verification code: [0-9A-F]{40} /);
    // The same certificate again: the service refuses it.
    const dup = await gatehouse('cas', 'register', '--cert-file', root.crt, ...store);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/^error: .+\n$/);

    const [registered] = await json<{ id: string; verification_code: string; name: string }[]>('cas', 'list');
    expect(registered).toMatchObject({ name: 'factory', status: 'unverified', enabled: true });
    caId = registered?.id as string;
    const code = registered?.verification_code as string;
    expect(code).toMatch(/^[0-9A-F]{40}$/);

    const wrongProof = join(dir, 'wrong-proof.pem');
    writeFileSync(wrongProof, makeVerificationCert(dir, root, 'NOT-THE-CODE'));
    const refused = await gatehouse('cas', 'verify', '--id', caId, '--cert-file', wrongProof, ...store);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: .*verification code/);

    const proof = join(dir, 'proof.pem');
    writeFileSync(proof, makeVerificationCert(dir, root, code));
    const verified = await gatehouse('cas', 'verify', '--id', caId, '--cert-file', proof, ...store);
    expect(verified.code, verified.err).toBe(0);
    expect(verified.out).toBe(`${caId} verified\n`);

    const [listed] = await json<Record<string, unknown>[]>('cas', 'list');
    expect(listed).toMatchObject({
      id: caId,
      status: 'verified',
      kind: 'uploaded',
      verified_at: expect.any(String),
    });
    expect(listed).not.toHaveProperty('verification_code');

    expect(await json('cas', 'disable', '--id', caId)).toMatchObject({ id: caId, enabled: false });
    expect((await gatehouse('cas', 'list', ...store)).out).toMatch(
      new RegExp(`${caId}.*verified\\s+disabled`),
    );
    expect(await json('cas', 'enable', '--id', caId)).toMatchObject({ id: caId, enabled: true });
  });

  it('creates an enrollment group and an individual enrollment, lists them and the registrations', async () => {
    const created = await json<{ id: string }>(
      'enrollment',
      'groups',
      'create',
      '--name',
      'cli line',
      '--ca',
      caId,
      '--identity-attribute',
      'serial',
      '--identity-source',
      'cn',
      '--inventory-group',
      'cli-fleet',
      '--tag',
      'site=lyon',
      '--tag',
      'expr=a=b',
    );
    const groups = await json<{ total: number; groups: Record<string, unknown>[] }>(
      'enrollment',
      'groups',
      'list',
    );
    expect(groups.total).toBe(1);
    expect(groups.groups[0]).toEqual({
      id: created.id,
      name: 'cli line',
      ca_id: caId,
      enabled: true,
      identity: { attribute: 'serial', source: 'cn' },
      inventory_group: 'cli-fleet',
      tags: { site: 'lyon', expr: 'a=b' },
      bootstrap: null,
      allocation_webhook_id: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });

    const individual = await json<{ id: string }>(
      'enrollment',
      'individuals',
      'create',
      '--registration-id',
      'cli-dev-2',
      '--group',
      created.id,
      '--inventory-group',
      'special',
      '--tag',
      'role=gateway',
      '--disabled',
    );
    const individuals = await json<{ total: number; individuals: Record<string, unknown>[] }>(
      'enrollment',
      'individuals',
      'list',
    );
    expect(individuals).toEqual({
      total: 1,
      individuals: [
        {
          id: individual.id,
          registration_id: 'cli-dev-2',
          enabled: false,
          group_id: created.id,
          certificate_fingerprint: null,
          inventory_group: 'special',
          tags: { role: 'gateway' },
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
      ],
    });
    expect((await gatehouse('enrollment', 'individuals', 'list', ...store)).out).toMatch(
      new RegExp(`${individual.id}\\s+disabled\\s+cli-dev-2\\s+group_id=${created.id}\\s+group=special`),
    );

    // A device admitted by its certificate leaves a registration record.
    const leaf = signWith(dir, root, 'cli-dev-1');
    const admitted = await certAuth(t, [leaf]);
    expect(admitted.statusCode, admitted.body).toBe(200);
    const regs = await json<{ total: number; registrations: Record<string, unknown>[] }>(
      'enrollment',
      'registrations',
      'list',
    );
    expect(regs.total).toBe(1);
    expect(regs.registrations[0]).toMatchObject({
      registration_id: 'cli-dev-1',
      ca_id: caId,
      enrollment_group_id: created.id,
      individual_enrollment_id: null,
      certificate: { subject: expect.stringContaining('CN=cli-dev-1') },
    });

    // Disable, then delete the individual and the group.
    expect((await gatehouse('enrollment', 'groups', 'disable', '--id', created.id, ...store)).out).toBe(
      `${created.id} disabled\n`,
    );
    expect(await json('enrollment', 'individuals', 'delete', '--id', individual.id)).toEqual({
      id: individual.id,
      deleted: true,
    });
    expect(await json('enrollment', 'groups', 'delete', '--id', created.id)).toEqual({
      id: created.id,
      deleted: true,
    });
    expect(await json('enrollment', 'groups', 'list')).toEqual({ total: 0, groups: [] });
    expect((await gatehouse('enrollment', 'groups', 'list', ...store)).out).toBe('(no enrollment groups)\n');
  });

  it('exits non-zero with a clear message on unknown ids and bad flags', async () => {
    const unknownCa = await gatehouse(
      'enrollment',
      'groups',
      'create',
      '--name',
      'nope',
      '--ca',
      randomUUID(),
      ...store,
    );
    expect(unknownCa.code).toBe(1);
    expect(unknownCa.err).toBe('error: ca_id names no CA of this tenant\n');

    const verifyUnknown = await gatehouse(
      'cas',
      'verify',
      '--id',
      randomUUID(),
      '--cert-file',
      root.crt,
      ...store,
    );
    expect(verifyUnknown).toMatchObject({ code: 1, err: 'error: CA not found\n' });

    const missingGroup = await gatehouse('enrollment', 'groups', 'delete', '--id', 'not-a-uuid', ...store);
    expect(missingGroup).toMatchObject({ code: 1, err: 'error: enrollment group not found\n' });

    const badTag = await gatehouse(
      'enrollment',
      'individuals',
      'create',
      '--registration-id',
      'x',
      '--tag',
      'novalue',
      ...store,
    );
    expect(badTag.code).toBe(1);
    expect(badTag.err).toMatch(/expected name=value, got "novalue"/);

    const badSource = await gatehouse(
      'enrollment',
      'groups',
      'create',
      '--name',
      'n',
      '--ca',
      caId,
      '--identity-source',
      'mac',
      ...store,
    );
    expect(badSource.code).toBe(1);
    expect(badSource.err).toMatch(/--identity-source.*'mac' is invalid/);

    const otherTenant = await gatehouse('cas', 'list', '--tenant', 'no-such-tenant', ...store);
    expect(otherTenant).toMatchObject({ code: 1, err: 'error: tenant not found\n' });
  });
});

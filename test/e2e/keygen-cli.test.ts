import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyFileName } from '../../src/factory/keygen-names.js';
import { hasTool, openssl, pkiDir } from '../helpers/openssl.js';
import { assertBuiltCli, keygen, readJsonlManifest, startKeygen } from './helpers/keygen.js';

/**
 * `gatehouse keygen` through the built CLI, checked with openssl only: what a factory gets must
 * be usable with standard tools, and the manifest signature must verify with the commands
 * docs/factory-manifests.md gives.
 */

const sh = (script: string, cwd: string): string => {
  const r = spawnSync('sh', ['-c', script], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`sh -c ${script} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
};

/** The fingerprints openssl computes, as `… -outform DER | sha256sum` prints them, for each file. */
const opensslFingerprints = (dir: string, files: string[], pkeyArgs: string): string[] =>
  sh(
    `for f in ${files.map((f) => `'${f}'`).join(' ')}; do openssl pkey ${pkeyArgs} -in "$f" -outform DER | sha256sum | cut -c1-64; done`,
    dir,
  )
    .trim()
    .split('\n');

/** The documented check: statement of the manifest's SHA-256, base64-decoded .sig, openssl verify. */
const verifyWithOpenssl = (dir: string, manifest: string, factoryPub: string, kind: 'ed25519' | 'other') => {
  sh(
    [
      `printf 'gatehouse-manifest-v1 sha256:%s\\n' "$(sha256sum ${manifest} | cut -c1-64)" > statement`,
      `base64 -d ${manifest}.sig > manifest.sig.bin`,
      kind === 'ed25519'
        ? `openssl pkeyutl -verify -pubin -inkey '${factoryPub}' -rawin -in statement -sigfile manifest.sig.bin`
        : `openssl dgst -sha256 -verify '${factoryPub}' -signature manifest.sig.bin statement`,
    ].join(' && '),
    dir,
  );
};

const cases = [
  {
    type: 'rsa',
    args: ['--bits', '2048'],
    pem: 'RSA PRIVATE KEY',
    factory: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    sig: 'other',
  },
  {
    type: 'ec',
    args: [],
    pem: 'EC PRIVATE KEY',
    factory: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    sig: 'other',
  },
  { type: 'ed25519', args: [], pem: 'PRIVATE KEY', factory: ['-algorithm', 'ed25519'], sig: 'ed25519' },
] as const;

describe.skipIf(!hasTool('openssl'))('gatehouse keygen (built CLI, checked with openssl)', () => {
  beforeAll(() => assertBuiltCli());

  for (const c of cases) {
    it(`${c.type}: 100 devices, signed manifest, keys openssl loads`, { timeout: 180_000 }, async () => {
      const dir = pkiDir();
      openssl(dir, ['genpkey', ...c.factory, '-out', 'factory.pem']);
      openssl(dir, ['pkey', '-in', 'factory.pem', '-pubout', '-out', 'factory.pub']);
      const out = join(dir, 'out');
      const args = [
        '--out',
        out,
        '--count',
        '100',
        '--type',
        c.type,
        ...c.args,
        '--identity',
        'serialnumber=SN-{seq:06}',
        '--identity',
        'mac={mac}',
        '--mac-start',
        '02:00:00:00:00:fe',
        '--group',
        'line-a',
        '--tag',
        'batch=2026-12',
        '--sign-with',
        join(dir, 'factory.pem'),
      ];
      const run = await keygen(args);
      expect(run.code, run.stderr).toBe(0);
      // Not a terminal: plain progress lines, the last one complete.
      expect(run.stderr).not.toContain('\r');
      expect(run.stderr).toMatch(/keygen: 100\/100 keys \(100%\)/);
      expect(run.stdout).toContain('100 ');

      expect(readdirSync(out).sort()).toEqual(['keys', 'manifest.jsonl', 'manifest.jsonl.sig']);
      const keysDir = join(out, 'keys');
      expect(statSync(keysDir).mode & 0o777).toBe(0o700);
      const files = readdirSync(keysDir).sort();
      expect(files).toHaveLength(100);
      for (const f of files) expect(statSync(join(keysDir, f)).mode & 0o777, f).toBe(0o600);

      const entries = readJsonlManifest(join(out, 'manifest.jsonl'));
      expect(entries).toHaveLength(100);
      expect(entries[0]?.identity).toEqual({ serialnumber: 'SN-000001', mac: '02:00:00:00:00:fe' });
      expect(entries[2]?.identity).toEqual({ serialnumber: 'SN-000003', mac: '02:00:00:00:01:00' });
      expect(entries.every((e) => e.group === 'line-a' && e.tags?.batch === '2026-12')).toBe(true);

      // Each line names its key file; the fingerprint is openssl's, from the manifest's pubkey
      // and from the private key file alike.
      const pubDir = join(dir, 'pub');
      mkdirSync(pubDir);
      entries.forEach((e, i) => {
        writeFileSync(join(pubDir, `${i}.pem`), e.pubkey);
      });
      const fromPubkeys = opensslFingerprints(
        pubDir,
        entries.map((_, i) => `${i}.pem`),
        '-pubin',
      );
      const keyFiles = entries.map((e) => keyFileName(Object.entries(e.identity)));
      const fromPrivateKeys = opensslFingerprints(keysDir, keyFiles, '-pubout');
      expect(fromPubkeys).toEqual(entries.map((e) => e.fingerprint));
      expect(fromPrivateKeys).toEqual(entries.map((e) => e.fingerprint));
      for (const f of keyFiles.slice(0, 3))
        expect(readFileSync(join(keysDir, f), 'utf8')).toMatch(new RegExp(`^-----BEGIN ${c.pem}-----\n`));

      verifyWithOpenssl(out, 'manifest.jsonl', join(dir, 'factory.pub'), c.sig);

      // Never over an existing manifest: refused, nothing changed.
      const manifestBefore = readFileSync(join(out, 'manifest.jsonl'));
      const again = await keygen(args);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('manifest.jsonl exists: keygen never overwrites a manifest');
      expect(readFileSync(join(out, 'manifest.jsonl'))).toEqual(manifestBefore);
      expect(readdirSync(keysDir)).toHaveLength(100);
    });
  }

  it('RSA defaults to 3072 bits, in the PKCS#1 form the Mender client writes', {
    timeout: 180_000,
  }, async () => {
    const dir = pkiDir();
    const out = join(dir, 'out');
    const run = await keygen(['--out', out, '--count', '3', '--identity', 'serialnumber=SN-{seq}', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ count: 3, keyType: 'RSA-3072', format: 'jsonl', signature: null });
    for (const f of readdirSync(join(out, 'keys'))) {
      const text = openssl(join(out, 'keys'), ['rsa', '-in', f, '-noout', '-text']).toString();
      expect(text).toMatch(/Private-Key: \(3072 bit/);
      expect(readFileSync(join(out, 'keys', f), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    }
    expect(readdirSync(join(out, 'keys')).sort()).toEqual(['SN-1.pem', 'SN-2.pem', 'SN-3.pem']);
  });

  it('CSV: header, base64 SPKI DER whose SHA-256 is the fingerprint, signature', {
    timeout: 120_000,
  }, async () => {
    const dir = pkiDir();
    openssl(dir, ['genpkey', '-algorithm', 'ed25519', '-out', 'factory.pem']);
    openssl(dir, ['pkey', '-in', 'factory.pem', '-pubout', '-out', 'factory.pub']);
    const out = join(dir, 'out');
    const run = await keygen([
      '--out',
      out,
      '--count',
      '20',
      '--type',
      'ed25519',
      '--format',
      'csv',
      '--identity',
      'serialnumber=SN-{seq:04}',
      '--seq-start',
      '9990',
      '--tag',
      'site=b, hall 2',
      '--sign-with',
      join(dir, 'factory.pem'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(join(out, 'manifest.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('identity.serialnumber,pubkey,fingerprint,tag.site');
    expect(lines).toHaveLength(21);
    expect(lines[1]?.startsWith('SN-9990,')).toBe(true);
    expect(lines[20]?.startsWith('SN-10009,')).toBe(true);
    for (const line of lines.slice(1)) {
      const [, b64, fingerprint, site] = line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
      expect(site).toBe('"b, hall 2"');
      const der = Buffer.from(b64 ?? '', 'base64');
      const viaOpenssl = openssl(dir, ['pkey', '-pubin', '-inform', 'DER', '-outform', 'DER'], der);
      expect(createHash('sha256').update(viaOpenssl).digest('hex')).toBe(fingerprint);
    }
    verifyWithOpenssl(out, 'manifest.csv', join(dir, 'factory.pub'), 'ed25519');
  });

  it('refuses a template that gives every device the same identity, before writing anything', async () => {
    const dir = pkiDir();
    const out = join(dir, 'out');
    const run = await keygen(['--out', out, '--count', '5', '--type', 'ed25519', '--identity', 'sn=SN-1']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('every device needs its own identity');
    expect(existsSync(out)).toBe(false);
  });

  it('after kill -9, no manifest exists; the next run removes the leftovers and succeeds', {
    timeout: 180_000,
  }, async () => {
    const dir = pkiDir();
    const out = join(dir, 'out');
    const staging = join(out, '.keygen-partial');
    const { child, done } = startKeygen([
      '--out',
      out,
      '--count',
      '5000000',
      '--type',
      'ed25519',
      '--identity',
      'serialnumber=SN-{seq:07}',
    ]);
    // Wait until it has written some keys and manifest lines, then kill it where it stands.
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      const keys = existsSync(join(staging, 'keys')) ? readdirSync(join(staging, 'keys')).length : 0;
      const manifest = join(staging, 'manifest.jsonl');
      if (keys >= 500 && existsSync(manifest) && statSync(manifest).size > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'manifest.jsonl'))).toBe(false);
    expect(existsSync(join(out, 'keys'))).toBe(false);
    expect(statSync(join(staging, 'manifest.jsonl')).size).toBeGreaterThan(0);

    const rerun = await keygen([
      '--out',
      out,
      '--count',
      '20',
      '--type',
      'ed25519',
      '--identity',
      'serialnumber=SN-{seq:07}',
    ]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`removed the unfinished output of an interrupted run in ${out}`);
    expect(readdirSync(out).sort()).toEqual(['keys', 'manifest.jsonl']);
    expect(readdirSync(join(out, 'keys'))).toHaveLength(20);
    expect(readJsonlManifest(join(out, 'manifest.jsonl'))).toHaveLength(20);
  });
});

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyFileName } from './keygen-names.js';
import { runKeygen } from './keygen-run.js';
import { buildPlan, type KeygenOptions } from './keygen-validate.js';
import { verifyManifest } from './manifest-signature.js';

const root = mkdtempSync(join(tmpdir(), 'gh-keygen-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newDir = () => join(root, `out-${++n}`);

const plan = (over: Partial<KeygenOptions> = {}) =>
  buildPlan({
    count: 300,
    keyType: 'ed25519',
    identity: ['serialnumber=SN-{seq:06}', 'mac={mac}'],
    seqStart: 1,
    macStart: '02:00:00:00:00:01',
    tags: [],
    format: 'jsonl',
    ...over,
  });

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('runKeygen', () => {
  it('writes one 0600 key per device, the manifest in device order, and a signature over it', async () => {
    const outDir = newDir();
    const factory = generateKeyPairSync('ed25519');
    const progress: number[] = [];
    const summary = await runKeygen({
      outDir,
      plan: plan(),
      workers: 2,
      signWith: factory.privateKey,
      onProgress: (d) => progress.push(d),
    });

    expect(readdirSync(outDir).sort()).toEqual(['keys', 'manifest.jsonl', 'manifest.jsonl.sig']);
    expect(statSync(join(outDir, 'keys')).mode & 0o777).toBe(0o700);
    const manifest = readFileSync(join(outDir, 'manifest.jsonl'));
    expect(summary.manifestSha256).toBe(sha256(manifest));
    const lines = manifest.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(300);
    const files = new Set(readdirSync(join(outDir, 'keys')));
    expect(files.size).toBe(300);
    lines.forEach((line, i) => {
      const entry = JSON.parse(line);
      const seq = String(i + 1).padStart(6, '0');
      expect(entry.identity.serialnumber).toBe(`SN-${seq}`);
      const file = keyFileName(Object.entries(entry.identity));
      expect(files.has(file)).toBe(true);
      if (i % 50 === 0) {
        const keyPath = join(outDir, 'keys', file);
        expect(statSync(keyPath).mode & 0o777).toBe(0o600);
        const pub = createPublicKey(createPrivateKey(readFileSync(keyPath)));
        expect(pub.export({ type: 'spki', format: 'pem' })).toBe(entry.pubkey);
        expect(sha256(pub.export({ type: 'spki', format: 'der' }))).toBe(entry.fingerprint);
      }
    });
    expect(progress.at(-1)).toBe(300);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const sig = readFileSync(join(outDir, 'manifest.jsonl.sig'), 'utf8');
    expect(sig).toMatch(/^[A-Za-z0-9+/]+=*\n$/);
    expect(verifyManifest(factory.publicKey, sha256(manifest), sig)).toBe(true);
  });

  it('gives the same manifest for the same options except for the keys (order by device)', async () => {
    const a = newDir();
    const b = newDir();
    await runKeygen({ outDir: a, plan: plan({ count: 50 }), workers: 1 });
    await runKeygen({ outDir: b, plan: plan({ count: 50 }), workers: 3 });
    const ids = (dir: string) =>
      readFileSync(join(dir, 'manifest.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).identity);
    expect(ids(a)).toEqual(ids(b));
    expect(readdirSync(join(a, 'keys')).sort()).toEqual(readdirSync(join(b, 'keys')).sort());
  });

  it('refuses a directory that holds a manifest (either format) or keys', async () => {
    const outDir = newDir();
    await runKeygen({ outDir, plan: plan({ count: 2 }), workers: 1 });
    const before = readFileSync(join(outDir, 'manifest.jsonl'));
    await expect(runKeygen({ outDir, plan: plan({ count: 2 }), workers: 1 })).rejects.toThrow(
      'manifest.jsonl exists: keygen never overwrites a manifest',
    );
    await expect(runKeygen({ outDir, plan: plan({ count: 2, format: 'csv' }), workers: 1 })).rejects.toThrow(
      'manifest.jsonl exists',
    );
    expect(readFileSync(join(outDir, 'manifest.jsonl'))).toEqual(before);
    expect(readdirSync(join(outDir, 'keys'))).toHaveLength(2);

    const withKeys = newDir();
    mkdirSync(join(withKeys, 'keys'), { recursive: true });
    writeFileSync(join(withKeys, 'keys', 'x.pem'), 'x');
    await expect(runKeygen({ outDir: withKeys, plan: plan({ count: 2 }), workers: 1 })).rejects.toThrow(
      'keys exists and is not empty',
    );
  });

  it('cleans up after a run killed while generating: the next run starts over', async () => {
    const outDir = newDir();
    const staging = join(outDir, '.keygen-partial');
    mkdirSync(join(staging, 'keys'), { recursive: true });
    // A dead owner (no such pid), half a manifest and a stale key.
    writeFileSync(join(staging, 'owner'), `2147483646 ${hostname()}\n`);
    writeFileSync(join(staging, 'manifest.jsonl'), '{"identity":');
    writeFileSync(join(staging, 'keys', 'stale.pem'), 'x');
    const notices: string[] = [];
    await runKeygen({ outDir, plan: plan({ count: 3 }), workers: 1, onNotice: (l) => notices.push(l) });
    expect(notices).toEqual([`removed the unfinished output of an interrupted run in ${outDir}`]);
    expect(readdirSync(join(outDir, 'keys'))).toHaveLength(3);
    expect(existsSync(join(outDir, 'keys', 'stale.pem'))).toBe(false);
    expect(existsSync(staging)).toBe(false);
  });

  it('refuses a directory another keygen is writing to', async () => {
    const outDir = newDir();
    const staging = join(outDir, '.keygen-partial');
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'owner'), `${process.ppid} ${hostname()}\n`);
    await expect(runKeygen({ outDir, plan: plan({ count: 2 }), workers: 1 })).rejects.toThrow(
      `another keygen (pid ${process.ppid}) is writing to ${outDir}`,
    );
    expect(existsSync(join(staging, 'owner'))).toBe(true);
  });

  it('finishes publishing a run killed between its renames, then refuses to overwrite it', async () => {
    const done = newDir();
    await runKeygen({ outDir: done, plan: plan({ count: 2, format: 'csv' }), workers: 1 });
    const outDir = newDir();
    const staging = join(outDir, '.keygen-partial');
    mkdirSync(staging, { recursive: true });
    // Complete (marker written), keys already moved, manifest not yet.
    writeFileSync(join(staging, 'complete'), '');
    writeFileSync(join(staging, 'manifest.csv'), readFileSync(join(done, 'manifest.csv')));
    mkdirSync(join(outDir, 'keys'));
    const notices: string[] = [];
    await expect(
      runKeygen({ outDir, plan: plan({ count: 2 }), workers: 1, onNotice: (l) => notices.push(l) }),
    ).rejects.toThrow('manifest.csv exists');
    expect(notices).toEqual([`finished publishing the output of an interrupted run in ${outDir}`]);
    expect(readFileSync(join(outDir, 'manifest.csv'))).toEqual(readFileSync(join(done, 'manifest.csv')));
    expect(existsSync(staging)).toBe(false);
  });

  it('leaves nothing behind when a run fails', async () => {
    const outDir = newDir();
    // A key signManifest refuses: the run fails after generating everything.
    const x25519 = generateKeyPairSync('x25519').privateKey;
    await expect(
      runKeygen({ outDir, plan: plan({ count: 5 }), workers: 1, signWith: x25519 }),
    ).rejects.toThrow('unsupported key type');
    expect(readdirSync(outDir)).toEqual([]);
  });
});

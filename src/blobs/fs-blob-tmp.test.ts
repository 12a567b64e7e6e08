import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFsBlobStore } from './fs-blob-store.js';
import { LEGACY_MAX_AGE_MS, STALE_MS } from './fs-blob-tmp.js';

const isLinux = process.platform === 'linux';

describe('temporary upload files', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });
  const newRoot = () => {
    const r = mkdtempSync(join(tmpdir(), 'gh-blobs-'));
    roots.push(r);
    return r;
  };
  const ourOwner = () => {
    const root = newRoot();
    return { root, tmp: join(root, '.tmp') };
  };
  /** A directory as another instance would have left it. */
  const instanceDir = (tmp: string, name: string, owner: Record<string, unknown>, ageMs = 0) => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'owner.json'), JSON.stringify(owner));
    writeFileSync(join(dir, 'upload'), Buffer.alloc(1000));
    const t = new Date(Date.now() - ageMs);
    utimesSync(join(dir, 'owner.json'), t, t);
    utimesSync(dir, t, t);
    return dir;
  };
  const exited = async () => {
    const child = spawn(process.execPath, ['-e', '']);
    await once(child, 'exit');
    return child.pid as number;
  };

  it('writes under a directory of its own and leaves nothing after abort, commit or close', async () => {
    const { root, tmp } = ourOwner();
    const blobs = createFsBlobStore(root);
    const w = await blobs.createWriter();
    await new Promise((r) => w.stream.write('abc', r));
    const [mine] = readdirSync(tmp);
    const owner = JSON.parse(readFileSync(join(tmp, mine as string, 'owner.json'), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid });
    expect(readdirSync(join(tmp, mine as string))).toHaveLength(2);
    await w.abort();
    expect(readdirSync(join(tmp, mine as string))).toEqual(['owner.json']);
    const c = await blobs.createWriter();
    c.stream.end('done');
    await c.commit('artifacts/x');
    expect(readFileSync(join(root, 'artifacts/x'), 'utf8')).toBe('done');
    await blobs.close();
    expect(readdirSync(tmp)).toEqual([]);
  });

  it.runIf(isLinux)(
    'removes what dead processes of this host left, keeps live ones and its own',
    async () => {
      const { root, tmp } = ourOwner();
      const blobs = createFsBlobStore(root);
      const live = await blobs.createWriter();
      await new Promise((r) => live.stream.write('in progress', r));
      const here = {
        host: 'h',
        bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
        pidNamespace: readlinkSync('/proc/self/ns/pid'),
        startedAt: 0,
      };
      const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      try {
        const dead = instanceDir(tmp, 'dead', { ...here, pid: await exited() });
        const previous = instanceDir(tmp, 'previous', { ...here, pid: process.pid });
        const running = instanceDir(tmp, 'running', { ...here, pid: sleeper.pid });
        // Another host (or container): the heartbeat decides.
        const fresh = instanceDir(tmp, 'fresh', { ...here, bootId: 'other-boot', pid: 1 }, 1000);
        const stale = instanceDir(tmp, 'stale', { ...here, bootId: 'other-boot', pid: 1 }, STALE_MS + 5000);
        const unnamed = join(tmp, 'being-created');
        mkdirSync(unnamed);
        writeFileSync(join(tmp, 'legacy-old'), 'x');
        const old = new Date(Date.now() - LEGACY_MAX_AGE_MS - 1000);
        utimesSync(join(tmp, 'legacy-old'), old, old);
        writeFileSync(join(tmp, 'legacy-new'), 'x');

        const removed = await blobs.removeAbandonedUploads();
        expect(removed.files).toBe(4); // dead, previous, stale: one upload each; legacy-old
        expect(removed.bytes).toBe(3001);
        for (const d of [dead, previous, stale]) expect(existsSync(d)).toBe(false);
        for (const d of [running, fresh, unnamed, join(tmp, 'legacy-new')]) expect(existsSync(d)).toBe(true);
        live.stream.end();
        await live.commit('artifacts/live');
        expect(readFileSync(join(root, 'artifacts/live'), 'utf8')).toBe('in progress');
      } finally {
        sleeper.kill('SIGKILL');
        await blobs.close();
      }
    },
  );

  it('a second store of the same process does not take the first one for a crashed process', async () => {
    const { root } = ourOwner();
    const a = createFsBlobStore(root);
    const b = createFsBlobStore(root);
    const w = await a.createWriter();
    await new Promise((r) => w.stream.write('a', r));
    expect(await b.removeAbandonedUploads()).toEqual({ files: 0, bytes: 0 });
    // Closed (shut down), the first store's directory is its own leftover, removed by itself.
    await w.abort();
    await a.close();
    await b.close();
  });
});

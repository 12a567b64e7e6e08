import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Where uploads are written before they become blobs, and who cleans up after a crash
 * (docs/adr/0015-crash-safety.md). Each process writes under `.tmp/<instance>/`, next to an
 * `owner.json` that names it (boot id, pid namespace, pid) and whose mtime it refreshes every
 * HEARTBEAT_MS while it lives. Any process sharing the directory removes the directory of an
 * instance that is certainly dead:
 * - same kernel boot and pid namespace (a restart on the same host): its pid is gone, or is ours;
 * - otherwise (another host, another container): its heartbeat is older than STALE_MS.
 * The in-progress uploads of live processes are never touched, on this host or another.
 */
export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 60_000;
/** Temp files of versions before per-process directories (flat in `.tmp/`): by age only. */
export const LEGACY_MAX_AGE_MS = 60 * 60 * 1000;

interface Owner {
  host: string;
  pid: number;
  bootId: string | null;
  pidNamespace: string | null;
  startedAt: number;
}

const readOr = <T>(f: () => T): T | null => {
  try {
    return f();
  } catch {
    return null;
  }
};

const self: Owner = {
  host: hostname(),
  pid: process.pid,
  // Linux only; elsewhere liveness falls back to the heartbeat.
  bootId: readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
  pidNamespace: readOr(() => readlinkSync('/proc/self/ns/pid')),
  startedAt: Date.now(),
};

/** Instances of this process (one per blob store opened, e.g. by tests): never abandoned. */
const ourInstances = new Set<string>();

/** Whether a pid of this kernel and pid namespace is a running (not zombie) process. */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readOr(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  // "pid (comm) S ...": a zombie (Z) is dead, only not yet reaped by its parent.
  return stat === null || !/\)\s+Z\s/.test(stat);
};

const isOwner = (v: unknown): v is Owner => {
  const o = v as Partial<Owner> | null;
  return typeof o?.pid === 'number' && Number.isInteger(o.pid) && o.pid > 0;
};

const isDead = async (dir: string, nowMs: number): Promise<boolean> => {
  const ownerFile = join(dir, 'owner.json');
  const owner = await readFile(ownerFile, 'utf8').then(
    (t) => readOr(() => JSON.parse(t) as unknown),
    () => null,
  );
  if (
    isOwner(owner) &&
    self.bootId !== null &&
    self.pidNamespace !== null &&
    owner.bootId === self.bootId &&
    owner.pidNamespace === self.pidNamespace
  ) {
    return owner.pid === self.pid || !isRunning(owner.pid);
  }
  // Another host or namespace (or a directory still being set up): only its heartbeat tells.
  const seen = await stat(isOwner(owner) ? ownerFile : dir).catch(() => undefined);
  return seen !== undefined && nowMs - seen.mtimeMs > STALE_MS;
};

export interface TempArea {
  /** A new temp file path in this process's directory (created, with its owner file, if needed). */
  newPath(): Promise<string>;
  /** Removes what crashed processes left; returns the files and bytes removed. */
  removeAbandoned(nowMs?: number): Promise<{ files: number; bytes: number }>;
  /** Stops the heartbeat and removes this process's directory (shutdown: no upload is left). */
  close(): Promise<void>;
}

export const createTempArea = (root: string): TempArea => {
  const tmpRoot = join(root, '.tmp');
  const instance = randomBytes(8).toString('hex');
  ourInstances.add(instance);
  const dir = join(tmpRoot, instance);
  const ownerFile = join(dir, 'owner.json');
  let heartbeat: NodeJS.Timeout | undefined;

  const ensureDir = async () => {
    // Recreated if another process removed it (a heartbeat that stalled for STALE_MS).
    if ((await mkdir(dir, { recursive: true, mode: 0o700 })) !== undefined) {
      // Written whole, then renamed into place: a sweeper never reads half an owner file.
      const partial = `${ownerFile}.${randomBytes(4).toString('hex')}.partial`;
      await writeFile(partial, JSON.stringify(self), { mode: 0o600 });
      await rename(partial, ownerFile);
    }
    if (!heartbeat) {
      heartbeat = setInterval(() => {
        const now = new Date();
        utimes(ownerFile, now, now).catch(() => ensureDir().catch(() => {}));
      }, HEARTBEAT_MS);
      heartbeat.unref();
    }
  };

  const sizeOf = async (path: string): Promise<{ files: number; bytes: number }> => {
    const s = await stat(path).catch(() => undefined);
    if (!s) return { files: 0, bytes: 0 };
    if (!s.isDirectory()) return { files: 1, bytes: s.size };
    const total = { files: 0, bytes: 0 };
    for (const name of await readdir(path).catch(() => [])) {
      if (name.startsWith('owner.json')) continue;
      const t = await sizeOf(join(path, name));
      total.files += t.files;
      total.bytes += t.bytes;
    }
    return total;
  };

  return {
    async newPath() {
      await ensureDir();
      return join(dir, randomBytes(16).toString('hex'));
    },
    async removeAbandoned(nowMs = Date.now()) {
      const total = { files: 0, bytes: 0 };
      const entries = await readdir(tmpRoot, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      });
      for (const e of entries) {
        if (ourInstances.has(e.name)) continue;
        const path = join(tmpRoot, e.name);
        const dead = e.isDirectory()
          ? await isDead(path, nowMs)
          : ((await stat(path).catch(() => undefined))?.mtimeMs ?? nowMs) < nowMs - LEGACY_MAX_AGE_MS;
        if (!dead) continue;
        const t = await sizeOf(path);
        await rm(path, { recursive: true, force: true });
        total.files += t.files;
        total.bytes += t.bytes;
      }
      return total;
    },
    async close() {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = undefined;
      await rm(dir, { recursive: true, force: true });
      ourInstances.delete(instance);
    },
  };
};

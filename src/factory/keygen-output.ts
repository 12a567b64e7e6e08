import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, open, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeygenError } from './keygen-errors.js';
import { type ManifestFormat, manifestFormats } from './keygen-plan.js';

/**
 * The output directory of a keygen run and how it gets there without ever showing a manifest
 * that is not complete (docs/factory-manifests.md, "Generating keys"):
 *
 *   DIR/.keygen-partial/   while running: owner, keys/, manifest.<ext>, manifest.<ext>.sig
 *   DIR/keys/<name>.pem    after: private keys, mode 0600, directory 0700
 *   DIR/manifest.<ext>     after; renamed into place last, so it exists only when all is there
 *   DIR/manifest.<ext>.sig after, with --sign-with
 *
 * Everything is written under the staging directory, flushed to disk, then moved by a few
 * renames (same filesystem, so each is atomic). A run killed before the "complete" marker left
 * only staging, which the next run deletes; one killed during the renames left the marker, and
 * the next run finishes those renames first. Key files need no temp-and-rename of their own: no key file is
 * ever in keys/ unless its manifest line is already in the complete manifest.
 */

const STAGING = '.keygen-partial';
const OWNER = 'owner';
const COMPLETE = 'complete';

export interface KeygenOutput {
  dir: string;
  keysDir: string;
  manifest: string;
  signature: string;
  staging: { dir: string; keysDir: string; manifest: string; signature: string };
}

export const outputPaths = (dir: string, format: ManifestFormat): KeygenOutput => {
  const staging = join(dir, STAGING);
  const name = `manifest.${format}`;
  return {
    dir,
    keysDir: join(dir, 'keys'),
    manifest: join(dir, name),
    signature: join(dir, `${name}.sig`),
    staging: {
      dir: staging,
      keysDir: join(staging, 'keys'),
      manifest: join(staging, name),
      signature: join(staging, `${name}.sig`),
    },
  };
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Makes a directory's entries (renames, new files) durable; a no-op where directories cannot be opened. */
const syncDir = async (dir: string): Promise<void> => {
  let fh: Awaited<ReturnType<typeof open>> | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Not supported on every platform; the renames are still atomic.
  } finally {
    await fh?.close();
  }
};

/** The renames that publish a run; each one is skipped when already done (resuming after a crash). */
const publish = async (out: KeygenOutput): Promise<void> => {
  const { staging } = out;
  if (existsSync(staging.keysDir)) await rename(staging.keysDir, out.keysDir);
  if (existsSync(staging.signature)) await rename(staging.signature, out.signature);
  if (existsSync(staging.manifest)) await rename(staging.manifest, out.manifest);
  await syncDir(out.dir);
  await rm(staging.dir, { recursive: true, force: true });
};

/**
 * What an earlier run left in DIR: its staging directory is removed (killed while generating),
 * or published (killed while publishing); refused while its owner still runs.
 */
const recoverStaging = async (out: KeygenOutput): Promise<string> => {
  const owner = await readFile(join(out.staging.dir, OWNER), 'utf8').catch(() => '');
  const [pid, host] = owner.trim().split(' ');
  if (host === hostname() && pid !== undefined && Number(pid) !== process.pid && isAlive(Number(pid)))
    throw new KeygenError(`another keygen (pid ${pid}) is writing to ${out.dir}`);
  if (existsSync(join(out.staging.dir, COMPLETE))) {
    await publish(out);
    return `finished publishing the output of an interrupted run in ${out.dir}`;
  }
  await rm(out.staging.dir, { recursive: true, force: true });
  return `removed the unfinished output of an interrupted run in ${out.dir}`;
};

/**
 * Checks DIR and creates the staging directory, after cleaning up what an interrupted run left
 * (told through `onNotice`). Refuses a DIR that holds a manifest or a keys/ directory: keygen
 * never overwrites either.
 */
export const prepareOutput = async (
  out: KeygenOutput,
  format: ManifestFormat,
  onNotice: (line: string) => void = () => {},
): Promise<void> => {
  await mkdir(out.dir, { recursive: true });
  if (existsSync(out.staging.dir)) {
    // The interrupted run may have written the other format.
    const leftover =
      manifestFormats.find((f) => existsSync(join(out.staging.dir, `manifest.${f}`))) ?? format;
    onNotice(await recoverStaging(outputPaths(out.dir, leftover)));
  }
  for (const f of manifestFormats) {
    const existing = join(out.dir, `manifest.${f}`);
    if (existsSync(existing))
      throw new KeygenError(
        `${existing} exists: keygen never overwrites a manifest; use a new --out directory`,
      );
  }
  if (existsSync(out.keysDir) && readdirSync(out.keysDir).length > 0)
    throw new KeygenError(`${out.keysDir} exists and is not empty; use a new --out directory`);
  try {
    await mkdir(out.staging.dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new KeygenError(`another keygen started writing to ${out.dir} just now`);
    throw e;
  }
  await writeFile(join(out.staging.dir, OWNER), `${process.pid} ${hostname()}\n`);
  await mkdir(out.staging.keysDir, { mode: 0o700 });
  // mkdir's mode is reduced by the umask; the key directory must be exactly owner-only.
  await chmod(out.staging.keysDir, 0o700);
};

/**
 * Puts the key files on disk before anything says they are there: after a power cut, a
 * published manifest must not list keys whose files the kernel never wrote. One syncfs(2) for
 * the whole filesystem (`sync -f`, coreutils) instead of an fsync per file: a million fsyncs of
 * a few hundred bytes each would take longer than making the keys. Where `sync` cannot be run,
 * the run goes on and says so; kill -9 alone never loses written files.
 */
const flushFilesystem = async (dir: string): Promise<string | undefined> => {
  const args = process.platform === 'linux' ? ['-f', dir] : [];
  try {
    await promisify(execFile)('sync', args);
    return undefined;
  } catch (e) {
    return `could not flush the key files to disk (sync ${args.join(' ')}: ${(e as Error).message}); run sync before powering off`;
  }
};

/** Publishes a run whose manifest (and signature) are written and synced. */
export const finishOutput = async (
  out: KeygenOutput,
  onNotice: (line: string) => void = () => {},
): Promise<void> => {
  if (existsSync(out.keysDir)) await rmdir(out.keysDir); // empty (prepareOutput checked)
  const notFlushed = await flushFilesystem(out.staging.keysDir);
  if (notFlushed) onNotice(notFlushed);
  await writeFile(join(out.staging.dir, COMPLETE), '');
  await syncDir(out.staging.dir);
  await publish(out);
};

/** After a failed run: nothing of it stays (no manifest was published, so its keys are unusable). */
export const discardOutput = async (out: KeygenOutput): Promise<void> => {
  await rm(out.staging.dir, { recursive: true, force: true });
};

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  openSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { MENDER_ARTIFACT } from '../../test/helpers/artifacts.js';

export { MENDER_ARTIFACT };

/** Why mender-artifact cannot be run, or null. */
export const menderArtifactMissing = (): string | null => {
  try {
    accessSync(MENDER_ARTIFACT, constants.X_OK);
    return null;
  } catch {
    return `${MENDER_ARTIFACT} not found (Debian: apt-get install mender-artifact)`;
  }
};

/** Bytes an unprivileged process may still write on the filesystem of `dir`. */
export const freeBytes = (dir: string): number => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/**
 * A payload file of `bytes` bytes: 1 MiB of random bytes, repeated with each copy's first 8
 * bytes replaced by its index (no two blocks alike, nothing for a compressor or the filesystem to
 * fold), written 1 MiB at a time.
 */
export const writePayload = (path: string, bytes: number): void => {
  const block = randomBytes(1 << 20);
  const fd = openSync(path, 'wx', 0o644);
  try {
    for (let off = 0, i = 0; off < bytes; off += block.length, i++) {
      block.writeBigUInt64BE(BigInt(i), 0);
      writeSync(fd, block, 0, Math.min(block.length, bytes - off));
    }
  } finally {
    closeSync(fd);
  }
};

/**
 * A single-file module-image artifact built by the real mender-artifact, uncompressed (the
 * payload is stored as is: an artifact of N bytes carries an N-byte file), like
 * test/helpers/artifacts.ts but from a payload file on disk instead of a buffer in memory.
 */
export const buildArtifact = (opts: {
  dir: string;
  name: string;
  deviceType: string;
  payloadFile: string;
}): string => {
  const meta = join(opts.dir, `${opts.name}.meta`);
  mkdirSync(meta);
  writeFileSync(join(meta, 'dest_dir'), '/tmp\n');
  writeFileSync(join(meta, 'filename'), 'payload.bin\n');
  writeFileSync(join(meta, 'permissions'), '644\n');
  const out = join(opts.dir, `${opts.name}.mender`);
  execFileSync(
    MENDER_ARTIFACT,
    [
      'write',
      'module-image',
      '-T',
      'single-file',
      '-t',
      opts.deviceType,
      '-n',
      opts.name,
      '-o',
      out,
      '-f',
      join(meta, 'dest_dir'),
      '-f',
      join(meta, 'filename'),
      '-f',
      join(meta, 'permissions'),
      '-f',
      opts.payloadFile,
      '--compression',
      'none',
    ],
    { stdio: 'pipe' },
  );
  return out;
};

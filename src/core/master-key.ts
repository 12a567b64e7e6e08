import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export class MasterKeyError extends Error {}

/**
 * Loads the 32-byte master key (base64 in a file), generating it on first start. The new key is
 * written whole under a temporary name and then linked into place: link() fails when the file
 * exists, so two processes starting together on an empty data dir cannot write different keys,
 * and a process killed while writing never leaves an empty or partial key file behind.
 */
export const loadOrCreateMasterKey = (
  file: string,
  opts: { mayCreate: boolean } = { mayCreate: true },
): Buffer => {
  try {
    return parseKeyFile(file, readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (!opts.mayCreate) {
    throw new MasterKeyError(
      `master key file ${file} does not exist, but the database already holds secrets sealed with a master key: point --master-key-file (or --data-dir) at the key this database was set up with`,
    );
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString('base64')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  return parseKeyFile(file, readFileSync(file, 'utf8'));
};

const parseKeyFile = (file: string, text: string): Buffer => {
  if (text.trim() === '')
    throw new MasterKeyError(
      `${file} is empty (a process killed while creating it, before this was written atomically?): if the database holds no secrets yet, delete the file and start again`,
    );
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32)
    throw new MasterKeyError(`${file} must hold 32 bytes in base64 (found ${key.length})`);
  return key;
};

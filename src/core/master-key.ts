import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class MasterKeyError extends Error {}

/**
 * Loads the 32-byte master key (base64 in a file), generating it on first start. Created with
 * O_EXCL so two processes starting together on an empty data dir cannot write different keys.
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
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return parseKeyFile(file, readFileSync(file, 'utf8'));
};

const parseKeyFile = (file: string, text: string): Buffer => {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32)
    throw new MasterKeyError(`${file} must hold 32 bytes in base64 (found ${key.length})`);
  return key;
};

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDeviceKey } from './keygen-keys.js';
import { manifestLine } from './keygen-manifest.js';
import { keyFileName } from './keygen-names.js';
import { deviceIdentity, type KeygenPlan } from './keygen-plan.js';

/** A run of consecutive devices, made by one worker. */
export interface KeygenJob {
  id: number;
  /** 0-based index of the first device. */
  start: number;
  count: number;
}

/**
 * Makes devices start..start+count-1: key pair, private key file, manifest line. Runs in a worker
 * thread, which also writes the key files: file creation costs about as much as an Ed25519 key,
 * so doing it on the main thread would cap a many-core station at one core's worth of files. The
 * main thread gets only the manifest text, in one string per job, and never a private key.
 *
 * `flag: 'wx'`: the key directory is new for every run, so an existing file can only be a second
 * device with the same name, which must fail loudly rather than replace the first one's key.
 */
export const runKeygenJob = (plan: KeygenPlan, keysDir: string, job: KeygenJob): string => {
  let text = '';
  for (let i = job.start; i < job.start + job.count; i++) {
    const identity = deviceIdentity(plan, i);
    const key = generateDeviceKey(plan.keyType, plan.rsaBits);
    writeFileSync(join(keysDir, keyFileName(identity)), key.privatePem, { mode: 0o600, flag: 'wx' });
    text += manifestLine(plan, identity, key.spkiDer);
  }
  return text;
};

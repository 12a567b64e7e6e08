import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrCreateMasterKey, MasterKeyError } from './master-key.js';

const run = promisify(execFile);

describe('master key file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'gh-key-'));
    dirs.push(d);
    return d;
  };

  it('is created whole, once, and leaves no temporary file', () => {
    const dir = newDir();
    const file = join(dir, 'keys', 'master.key');
    const key = loadOrCreateMasterKey(file);
    expect(key).toHaveLength(32);
    expect(loadOrCreateMasterKey(file).equals(key)).toBe(true);
    expect(readdirSync(join(dir, 'keys'))).toEqual(['master.key']);
  });

  it('processes starting together on an empty data dir agree on one key', async () => {
    const file = join(newDir(), 'master.key');
    const script = `import { loadOrCreateMasterKey } from './src/core/master-key.ts';
      process.stdout.write(loadOrCreateMasterKey(${JSON.stringify(file)}).toString('hex'));`;
    const keys = await Promise.all(
      [1, 2, 3].map(
        async () =>
          (await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])).stdout,
      ),
    );
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toBe(loadOrCreateMasterKey(file).toString('hex'));
  }, 30_000);

  it('names an empty key file (left by a crash before keys were written atomically)', () => {
    const file = join(newDir(), 'master.key');
    writeFileSync(file, '');
    expect(() => loadOrCreateMasterKey(file)).toThrow(MasterKeyError);
    expect(() => loadOrCreateMasterKey(file)).toThrow(/is empty .* delete the file and start again/);
  });
});

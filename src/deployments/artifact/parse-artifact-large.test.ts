import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeWithMenderArtifact, useTempDir, writeArtifact } from './artifact-test-fixtures.js';
import { parseArtifact } from './index.js';

const MiB = 1024 * 1024;
const PAYLOAD_MIB = 200;

/** Writes `mib` MiB repeating `block`, returning the sha256 of the file. */
const writePattern = (path: string, block: Buffer, mib: number): string => {
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < mib * MiB; written += block.length) {
      writeSync(fd, block);
      hash.update(block);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
};

/** Parses `path` from disk, sampling RSS as it goes (printed, not asserted: timing-dependent). */
const parseSampling = async (path: string, label: string) => {
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 10);
  const started = Date.now();
  try {
    return await parseArtifact(createReadStream(path, { highWaterMark: 64 * 1024 }));
  } finally {
    clearInterval(sampler);
    console.log(
      `${label}: ${(statSync(path).size / MiB).toFixed(1)} MiB artifact in ${Date.now() - started} ms; ` +
        `RSS ${(rssBefore / MiB).toFixed(0)} MiB before, ${(rssPeak / MiB).toFixed(0)} MiB peak`,
    );
  }
};

describeWithMenderArtifact(`parseArtifact on a ${PAYLOAD_MIB} MiB payload`, () => {
  const dir = useTempDir();

  it('streams an uncompressed artifact through without holding the payload', {
    timeout: 120_000,
  }, async () => {
    // A 1 MiB block of varied bytes, repeated: nothing shorter than 1 MiB repeats.
    const block = Buffer.alloc(MiB);
    for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
    const payload = join(dir(), 'big.bin');
    const checksum = writePattern(payload, block, PAYLOAD_MIB);
    const path = writeArtifact(dir(), 'big-none.mender', 'module-image', [
      ...['-T', 'single-file', '-t', 'qemux86-64', '-n', 'big-1', '-f', payload, '--compression', 'none'],
    ]);
    const meta = await parseSampling(path, 'none');
    expect(meta.updates[0]?.files).toEqual([
      expect.objectContaining({ name: 'big.bin', size: PAYLOAD_MIB * MiB, checksum }),
    ]);
    expect(meta.size).toBe(statSync(path).size);
  });

  it('streams a gzip artifact that decompresses to the full payload', { timeout: 120_000 }, async () => {
    const payload = join(dir(), 'pattern.bin');
    const checksum = writePattern(payload, Buffer.alloc(64 * 1024, 'repeating pattern '), PAYLOAD_MIB);
    const path = writeArtifact(dir(), 'big-gzip.mender', 'module-image', [
      ...['-T', 'single-file', '-t', 'qemux86-64', '-n', 'big-2', '-f', payload],
    ]);
    const meta = await parseSampling(path, 'gzip');
    expect(meta.updates[0]?.files).toEqual([expect.objectContaining({ size: PAYLOAD_MIB * MiB, checksum })]);
  });
});

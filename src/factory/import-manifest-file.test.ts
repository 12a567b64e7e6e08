import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { inspectManifest, ManifestTooLargeError } from './import-manifest-file.js';

/** A writable that takes one small chunk at a time, so nearly every write waits for 'drain'. */
const slowSink = () => {
  const got: Buffer[] = [];
  const w = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      got.push(chunk);
      setImmediate(cb);
    },
  });
  return { w, got };
};

describe('inspectManifest', () => {
  it('hashes, counts lines and copies with backpressure, leaving no listeners behind', async () => {
    const chunks = Array.from({ length: 300 }, (_, i) => Buffer.from(`{"n":${i}}\n`));
    const { w, got } = slowSink();
    const before = w.listenerCount('error');
    const facts = await inspectManifest(Readable.from(chunks), { maxBytes: 1 << 20, copyTo: w });
    const all = Buffer.concat(chunks);
    expect(facts).toEqual({
      sha256: createHash('sha256').update(all).digest('hex'),
      bytes: all.length,
      lines: 300,
    });
    expect(Buffer.concat(got).equals(all)).toBe(true);
    // One listener per wait for 'drain' would pile up (hundreds here, millions for a big file).
    expect(w.listenerCount('error')).toBeLessThanOrEqual(before + 1);
    expect(w.listenerCount('drain')).toBe(0);
  });

  it('counts a last line without a line break and refuses what is over the limit', async () => {
    const facts = await inspectManifest(Readable.from([Buffer.from('a\nb')]), { maxBytes: 10 });
    expect(facts.lines).toBe(2);
    await expect(
      inspectManifest(Readable.from([Buffer.from('0123456789'), Buffer.from('x')]), { maxBytes: 10 }),
    ).rejects.toBeInstanceOf(ManifestTooLargeError);
  });
});

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { beforeAll, expect, it } from 'vitest';
import {
  describeWithMenderArtifact,
  parseBuffer,
  useTempDir,
  writeSingleFile,
} from './artifact-test-fixtures.js';
import { ArtifactError, parseArtifact } from './index.js';

/** A stream that delivers `data` up to `upTo`, then stalls until the test ends it. */
const stalling = (data: Buffer, upTo: number): Readable => {
  const stream = new Readable({ read() {} });
  for (let at = 0; at < upTo; at += 16 * 1024) stream.push(data.subarray(at, Math.min(upTo, at + 16 * 1024)));
  return stream;
};

describeWithMenderArtifact('parseArtifact and its input stream', () => {
  const dir = useTempDir();
  const artifacts: Record<string, Buffer> = {};

  beforeAll(() => {
    const content = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7 + (i >> 10)) & 0xff;
    for (const compression of ['none', 'gzip', 'lzma']) {
      const path = writeSingleFile(dir(), {
        name: `input-${compression}`,
        content,
        extraArgs: ['--compression', compression],
      });
      artifacts[compression] = readFileSync(path);
    }
  });

  it('rejects with the input’s own error when the input fails midway (and xz still works after)', async () => {
    for (const [compression, data] of Object.entries(artifacts)) {
      for (const upTo of [100, 3000, Math.floor(data.length / 2)]) {
        const input = stalling(data, upTo);
        const failure = new Error(`client went away (${compression})`);
        setTimeout(() => input.destroy(failure), 5);
        const error = await parseArtifact(input).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBe(failure);
      }
      await expect(parseBuffer(data, 10_000)).resolves.toMatchObject({ name: `input-${compression}` });
    }
  });

  it('rejects when the input closes without an end or an error', async () => {
    const input = stalling(artifacts.gzip ?? Buffer.alloc(0), 4000);
    setTimeout(() => input.destroy(), 5);
    await expect(parseArtifact(input)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('rejects an invalid artifact without waiting for the input to end', async () => {
    const input = stalling(Buffer.from('definitely not a tar archive '.repeat(100)), 2900);
    await expect(parseArtifact(input)).rejects.toThrow('not a Mender artifact: not a tar archive');
    input.destroy();
  });

  it('drains the rest of the input after rejecting, so a writer feeding it is not left hanging', async () => {
    const data = Buffer.from(artifacts.none ?? Buffer.alloc(0));
    data[520] = (data[520] ?? 0) ^ 1; // in the version file: rejected at once
    const input = new PassThrough({ highWaterMark: 16 * 1024 });
    const parsing = parseArtifact(input);
    const writing = (async () => {
      for (let at = 0; at < data.length; at += 16 * 1024) {
        if (!input.write(data.subarray(at, at + 16 * 1024))) await new Promise((r) => input.once('drain', r));
      }
      input.end();
      await new Promise((r) => input.once('end', r));
    })();
    await expect(parsing).rejects.toBeInstanceOf(ArtifactError);
    await writing;
    expect(input.readableEnded).toBe(true);
  });

  it('parses artifacts concurrently (xz decoding takes turns)', async () => {
    const all = Object.values(artifacts).flatMap((data) => [data, data]);
    const results = await Promise.all(all.map((data) => parseBuffer(data, 8192)));
    expect(results.map((r) => r.name)).toEqual(
      Object.keys(artifacts).flatMap((c) => [`input-${c}`, `input-${c}`]),
    );
  });

  it('rejects on an input failure even while another upload holds the xz decoder', async () => {
    const data = artifacts.lzma ?? Buffer.alloc(0);
    const holder = stalling(data, Math.floor(data.length * 0.6)); // stalls inside data/0000.tar.xz
    const holding = parseArtifact(holder).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const waiter = stalling(data, 4096); // has its header.tar.xz, waits for the decoder
    const failure = new Error('second client went away');
    setTimeout(() => waiter.destroy(failure), 20);
    await expect(parseArtifact(waiter)).rejects.toBe(failure);
    const holderFailure = new Error('first client went away');
    holder.destroy(holderFailure);
    expect(await holding).toBe(holderFailure);
    await expect(parseBuffer(data)).resolves.toMatchObject({ name: 'input-lzma' });
  });

  it('accepts an old-style stream (NodeJS.ReadableStream that is no Readable)', async () => {
    const data = artifacts.gzip ?? Buffer.alloc(0);
    const legacy = Object.assign(new EventEmitter(), {
      readable: true,
      pause: () => legacy,
      resume: () => legacy,
    });
    setImmediate(() => {
      for (let at = 0; at < data.length; at += 4096) legacy.emit('data', data.subarray(at, at + 4096));
      legacy.emit('end');
    });
    const meta = await parseArtifact(legacy as unknown as NodeJS.ReadableStream);
    expect(meta.name).toBe('input-gzip');
  });
});

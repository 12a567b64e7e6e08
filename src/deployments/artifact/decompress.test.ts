import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from './artifact-error.js';
import { chunked, sha256 } from './artifact-test-fixtures.js';
import { zstdRawFrame, zstdRleBomb } from './artifact-test-repack.js';
import { type Compression, decompress } from './decompress.js';

/** 34622 bytes of text, and the same compressed by `zstd -19` from a pipe (window descriptor, checksum). */
const text = Array.from(
  { length: 600 },
  (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog ${(i * 7919) % 1000}\n`,
).join('');
const TEXT_ZSTD = Buffer.from(
  'KLUv/QRo3T4A6rPEFBtwT6kDINXf4g6d7Mmlqhp/KWVKKUnS8emhXw1YAT4BPQHn7da+uJ44TXRxfeYwhceqyqisaWevLe7JdlaWqtIa' +
    'r/FH1ymKEJFRw1KdvvmuHBGSgsIijjENzi4RnoSbkdZcPGS5qzKk0CZStUmQhOysSUujeNb4Z7r3TzcljqRktUXFNqsQCwXJia4PVx0f' +
    'N8ZnEEeiRouIitioSk7spiJ30Cd2XlItJV9solZTMkR0TXlvfq0zQjKl2IU4aPESOvEzLd1SfodIn1RlQcZsLakSx1P/5vijThFpSsqL' +
    'Lj6RkiCROH3v2pd3Ykg0UqeFKzyWbMTadOQ2fbYzk8pS88UnulKJFHFK9+dXOkJSVIq6GAfnl3CIo2nRPeW7w5EmUiULYsjekpoon8bc' +
    'NP6p0yKJVGxRi22kxCSy0/ku+/OOh0SSWo1BBAMeEBAsuCAABR5oMMGDAEEDC0iAQKjgQQGBAQoePCBASGAABxI4EBocEEEAIEIDBhwo' +
    'EDEug2iJ2hcRE8HRVMmJiq2pyssx12mtubColCrpKuaolYtkTkTPUEknr0wvCSTyhIoyCmHQojVCpeE90/5jGc+DOkPEoVcYCZvgYjap' +
    'Swmdw3nd37T/vZ86TzPyMu3RCpdQlhiZtHEvt0v70nrCNJHF9c/hCY9UlVWohJp2QiXslHZGlorSmq5xR9cXRYbIoGGJTr/MtxwZSSHC' +
    'IhljGJxbIjQJ95HWL56x3FQZFoUmUjUJWsguNSlplM4a/kz2/nfT4UhIVlFbVMU2FeJRkDLR8eGi49PG2AziJWqziKAIGVGVvKjYqcpe' +
    'DnGdpDUni1qpEq9ij1q9SGaIaBoq6+SZXqWZkcgiVOQopEEL1wiZhv9MOx8LeR7VGSoOXaa6TVBiNtalSOd0Xvs373/TTw1PQ/Jy7dH4' +
    'ZGUJIZNk3OJ657DD46uyobJm2qHXLvdsZ2OpJq2RNc7o2qKIiYwPSz/9MV8qR4okYdEYs+AsJUKScB1p9eKx5X5lOBQaiVTRJKhC9pp0' +
    'NIrMGvxM9P52U3Mkl1XMFjWxDVWIi4Kc6PZwzfGRxpgMYiVqXkQ8oqNXyYeKpalKvew6hWJYKAYJxcBQDA3F0EAMDsTwck4emV5UmikS' +
    'Wai4UYgELVgjRBq+M60/lnse0xkaDp1kqrUJxmyrS43OkXnN36z/uZ8yT3N5efYoxSdVlmCGcb/bFfvCeqI0UcV1z+GHx6nKiMqiaadC' +
    'Gdxz7UxYKpHWcI03uroociJjhqU5fTLfCmQgKSYs2hgjwZklwpJwHmn54rnlnsqQKLQKwlCToCAMC2OQMAaGMdRU73c3PUcysgraoii2' +
    'qQoxBbmJTh4ucXzYDEatkpuK/VRlXg5ynag1LxZVqmSrmEStpEiGRHSHSp+8m14vzQyJTELFGoUELVYjNBpeZlp+LPU83Bkyh36Z6myC' +
    'FLNVXcphXu83xf/YT5GnqbzsPfr4ZMoSRCbRuK9g176snhCaSMR1zuGGR1dlp7I+7cxrk3tWO2OppDVb4xJdWRQpkeFhyad/851yhEiK' +
    'CjTVGBNoTygkHEdavHhquV0ZnkIbkaqZBFHIXjUpjbJZQz6TeD+7aTkSyyq+RT22mQoxUZA10T1cjs8aY2EQKVHrIsIRHrlKfip2pir0' +
    'cpTrVKEaWNRJlcgqxqgVi2RKRHuo/Mkb02tKM0QiV6ByFLKghdQICQ3PmbYfiz2Pd4bOoY9MlTbBitnqUnTO5rX8Jv2v/VR5GsvL36MT' +
    'n1BZokg17m939kXqCdJEDISvqENgIbdfaz8Ds85z7ROQgAFf4P//8Q/Leji81zzE5/D4v4/n+3i3ea/Pwu99L9738X2P0VbkaPG6novr' +
    'ebzONlyfj/f7+L6Pd/uY5mv7j4XjfS/e93F+drz/6nhlYZ9Ws+97OL7/xzyv6X2+j/f7+L8XZ3y99zhc3vc/xqPjWabqoTzP8fk+z8P1' +
    'vQfgeXkOm/d9fN+vd5qf+zwe7/Px/l/eexbKcZ3WecWv4/s+/s/H+17Cdy6P9/32vo/veyvD5xDOw9f7Pp7v493mPT5bnve9eN/Hd41v' +
    '+zs83/fx/uFvPX/3sdoe5Xs8Ot/PyS3mFWo9P9zgLsfj/32878P7PsPjOcfX9328z8f73squNzvW8xy/7/NcXM9zgB7i8xzf7/M8Vt9f' +
    'AB7i2Rzfd/M83p8zINbAez6f54QrPBI1uT//j/eex/g5PO/38X9/bLlFQ3kOh+N6Hq7v4/JGWSFtz/H7Pt+L6zkG4CE2z/Hdfp/H6zkG' +
    '4CGezfH9b57H9TkDYg2858tAewRqcn/+H+/38c7zFZ+H5/9+vO9je8bnO4+v7/t4n4/3vYRvvD3e9+V9H98f3tQgjsf3+3ifj/e9hccJ' +
    '9s/38X0f7/YxzeX2ntvH+36872O6j+l5vo/v+3i/X8d8ffM4ON735f0/nnN+4+fwvNvH/714p3mtz+Hzvl/P9/Eu91f9g3Nx/L+b53F9' +
    'Cu//6s7mgYNHDn5/98qx82wwxZfncye3f353/iGnDHyf7o5tjJNfvn9+z//rjhz8/m4LGSL+R+f45ndvPv/87uQ292Pyb/q7Iwe3v3vl' +
    '+HmWA1dCqyPi/d0hB9/fP8jK8S+3+f763JLvn99z/7ojB7+vcTfhwX99Hp1nfnW/f+vkXL+61785ui2PcWbkC4CuBcBFV9fb9YI=',
  'base64',
);

const collect = async (compression: Compression, input: Readable): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const chunk of decompress(compression, input, 'test.bin')) parts.push(chunk);
  return Buffer.concat(parts);
};

const failure = (compression: Compression, input: Readable): Promise<unknown> =>
  collect(compression, input).then(
    () => undefined,
    (e: unknown) => e,
  );

const expectArtifactError = async (compression: Compression, data: Buffer, message: string | RegExp) => {
  const error = await failure(compression, chunked(data, 1000));
  expect(error).toBeInstanceOf(ArtifactError);
  expect((error as Error).message).toMatch(message);
};

describe('zstd decompression (fzstd behind a frame guard)', () => {
  it('decodes real zstd output (checksum, 8 MiB window) in any chunking', async () => {
    expect(sha256(text)).toBe('58d423c5ddad2f4f0df53b88f54dd3a436594c1c22575c45a52f4fb26f3da039');
    for (const size of [1, 7, 4096, TEXT_ZSTD.length]) {
      expect((await collect('zstd', chunked(TEXT_ZSTD, size))).toString()).toBe(text);
    }
  });

  it('decodes concatenated and skippable frames, single-segment and windowed raw frames', async () => {
    const skippable = Buffer.concat([Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0]), Buffer.from('abc')]);
    const big = Buffer.alloc(300_000, 'z');
    const data = Buffer.concat([
      zstdRawFrame(Buffer.from('first,')),
      skippable,
      TEXT_ZSTD,
      zstdRawFrame(big, { singleSegment: true }),
      zstdRawFrame(Buffer.alloc(0)),
    ]);
    const out = await collect('zstd', chunked(data, 333));
    expect(out.equals(Buffer.concat([Buffer.from('first,'), Buffer.from(text), big]))).toBe(true);
  });

  it('keeps each step to one block: an RLE bomb comes out 128 KiB at a time', async () => {
    let total = 0;
    let largest = 0;
    for await (const chunk of decompress('zstd', Readable.from([zstdRleBomb(200)]), 'bomb.zst')) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
    }
    expect(total).toBe(200 * 128 * 1024);
    expect(largest).toBe(128 * 1024);
  });

  it('refuses windows over 128 MiB, dictionaries, bad framing, truncation and trailing data', async () => {
    await expectArtifactError(
      'zstd',
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (28 - 10) << 3]),
      /window of 268435456 bytes exceeds 128 MiB/,
    );
    await expectArtifactError(
      'zstd',
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x50, 0x07]),
      /zstd dictionaries are not supported/,
    );
    await expectArtifactError('zstd', Buffer.from('not zstd at all'), /^invalid zstd data in test.bin$/);
    await expectArtifactError('zstd', Buffer.alloc(0), /no zstd frame/);
    await expectArtifactError('zstd', TEXT_ZSTD.subarray(0, TEXT_ZSTD.length - 10), /unexpected end of data/);
    await expectArtifactError(
      'zstd',
      Buffer.concat([TEXT_ZSTD, Buffer.from('junk')]),
      /trailing data after the zstd stream in test.bin/,
    );
    const corrupt = Buffer.from(TEXT_ZSTD);
    corrupt[200] = (corrupt[200] ?? 0) ^ 0xff;
    const error = await failure('zstd', chunked(corrupt, 100));
    // A flipped byte inside a compressed block is either caught by fzstd or yields wrong bytes
    // (it does not check the frame checksum): the payload's sha256 catches the latter.
    if (error === undefined) expect((await collect('zstd', chunked(corrupt, 100))).toString()).not.toBe(text);
    else expect(error).toBeInstanceOf(ArtifactError);
  });

  it('decodes what the zstd CLI writes, when it is installed', async (ctx) => {
    if (!existsSync('/usr/bin/zstd')) return ctx.skip();
    const data = Buffer.alloc(2_000_000, 'pattern ');
    for (const args of [['-1'], ['-19', '--long=27'], ['-3', '--no-check']]) {
      const packed = execFileSync('/usr/bin/zstd', ['-q', '-c', ...args], { input: data });
      expect((await collect('zstd', chunked(packed, 65536))).equals(data)).toBe(true);
    }
  });
});

describe('xz decompression (xz-decompress)', () => {
  const xz = (args: string[], input: Buffer) => execFileSync('xz', ['-c', ...args], { input });
  const haveXz = existsSync('/usr/bin/xz');

  it.skipIf(!haveXz)(
    'decodes xz (64 MiB dictionary, as mender-artifact writes) in any chunking',
    async () => {
      const packed = xz(['--lzma2=preset=6,dict=64MiB'], Buffer.from(text));
      for (const size of [1, 100, packed.length]) {
        expect((await collect('xz', chunked(packed, size))).toString()).toBe(text);
      }
    },
  );

  it.skipIf(!haveXz)('refuses larger dictionaries, truncation, corruption and trailing data', async () => {
    const packed = xz([], Buffer.from(text));
    await expectArtifactError(
      'xz',
      xz(['--lzma2=dict=65MiB'], Buffer.from('x')),
      'invalid xz data in test.bin: dictionary larger than 64 MiB',
    );
    await expectArtifactError('xz', packed.subarray(0, packed.length - 20), /^invalid xz data in test.bin: /);
    await expectArtifactError('xz', packed.subarray(0, 30), /^invalid xz data in test.bin: /);
    await expectArtifactError(
      'xz',
      Buffer.concat([packed, Buffer.from('junk')]),
      /^invalid xz data in test.bin: /,
    );
    await expectArtifactError(
      'xz',
      Buffer.concat([packed, Buffer.from('more junk after the stream')]),
      /^invalid xz data in test.bin: /,
    );
    await expectArtifactError(
      'xz',
      Buffer.from('not xz data, no'),
      'invalid xz data in test.bin: not xz data',
    );
    await expectArtifactError('xz', Buffer.alloc(0), /^invalid xz data in test.bin: /);
    const corrupt = Buffer.from(packed);
    corrupt[100] = (corrupt[100] ?? 0) ^ 0xff;
    await expectArtifactError('xz', corrupt, /^invalid xz data in test.bin: /);
    // After all these failures the decoder is still usable (its one-at-a-time turn was released).
    expect((await collect('xz', chunked(packed, 50))).toString()).toBe(text);
  });

  it.skipIf(!haveXz)('accepts concatenated streams and stream padding, as the xz format allows', async () => {
    const packed = xz([], Buffer.from(text));
    expect((await collect('xz', chunked(Buffer.concat([packed, packed]), 77))).toString()).toBe(text + text);
    expect((await collect('xz', chunked(Buffer.concat([packed, Buffer.alloc(8)]), 77))).toString()).toBe(
      text,
    );
  });

  it.skipIf(!haveXz)('decodes one stream at a time when asked for several at once', async () => {
    const packed = xz([], Buffer.from(text));
    const results = await Promise.all([1, 2, 3].map(() => collect('xz', chunked(packed, 64))));
    for (const r of results) expect(r.toString()).toBe(text);
  });
});

describe('gzip decompression (zlib)', () => {
  const packed = gzipSync(Buffer.from(text));

  it('decodes gzip, including concatenated members', async () => {
    expect((await collect('gzip', chunked(packed, 1))).toString()).toBe(text);
    expect((await collect('gzip', chunked(Buffer.concat([packed, packed]), 999))).toString()).toBe(
      text + text,
    );
  });

  it('refuses corruption, truncation and anything after the last member', async () => {
    await expectArtifactError(
      'gzip',
      packed.subarray(0, packed.length - 1),
      'invalid gzip data in test.bin: unexpected end of file',
    );
    await expectArtifactError(
      'gzip',
      Buffer.concat([packed, Buffer.alloc(16)]),
      'trailing data after the gzip stream in test.bin',
    );
    await expectArtifactError(
      'gzip',
      Buffer.concat([packed, Buffer.from('junk')]),
      /^invalid gzip data in test.bin: /,
    );
  });

  it('passes errors of the source through unchanged', async () => {
    const source = new Readable({ read() {} });
    source.push(packed.subarray(0, 100));
    setImmediate(() => source.destroy(new Error('client went away')));
    await expect(collect('gzip', source)).rejects.toThrow('client went away');
  });
});

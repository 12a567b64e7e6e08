import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  chunked,
  describeWithMenderArtifact,
  makeSigningKeys,
  parseBuffer,
  parseFile,
  sha256,
  useTempDir,
  writeArtifact,
  writeSingleFile,
} from './artifact-test-fixtures.js';
import { asReadOutput, menderRead } from './artifact-test-read.js';
import { manifestWith, readTarBuffer, writeTarBuffer, zstdRawFrame } from './artifact-test-repack.js';
import { parseArtifact } from './index.js';

describeWithMenderArtifact('parseArtifact on artifacts written by mender-artifact 3.9', () => {
  const dir = useTempDir();

  /** Parses `path` and checks every field `mender-artifact read` shows against our result. */
  const parseAndCompare = async (path: string) => {
    const meta = await parseFile(path);
    expect(asReadOutput(meta)).toEqual({ ...menderRead(path), scripts: [] });
    expect(meta.size).toBe(readFileSync(path).length);
    return meta;
  };

  it('reads a single-file module-image (gzip, the default) for several device types', async () => {
    const path = writeSingleFile(dir(), { name: 'release-2', deviceTypes: ['qemux86-64', 'raspberrypi4'] });
    const meta = await parseAndCompare(path);
    expect(meta).toMatchObject({
      name: 'release-2',
      deviceTypesCompatible: ['qemux86-64', 'raspberrypi4'],
      info: { format: 'mender', version: 3 },
      signed: false,
      provides: { artifact_name: 'release-2', 'rootfs-image.single-file.version': 'release-2' },
      depends: { device_type: ['qemux86-64', 'raspberrypi4'] },
      clearsProvides: ['rootfs-image.single-file.*'],
    });
    expect(meta.updates).toHaveLength(1);
    const [update] = meta.updates;
    expect(update?.typeInfo).toEqual({ type: 'single-file' });
    expect(update?.metadata).toEqual({});
    expect(update?.files.map((f) => f.name)).toEqual(['dest_dir', 'filename', 'permissions', 'hello.txt']);
    const hello = update?.files.find((f) => f.name === 'hello.txt');
    expect(hello).toMatchObject({ checksum: sha256('hello from release-2\n'), size: 21 });
    expect(hello?.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('reads --compression none (header.tar, data/0000.tar)', async () => {
    const path = writeSingleFile(dir(), { name: 'plain-1', extraArgs: ['--compression', 'none'] });
    const meta = await parseAndCompare(path);
    expect(meta.updates[0]?.files).toHaveLength(4);
  });

  it('reads --compression lzma (header.tar.xz, data/0000.tar.xz), also in 1-byte chunks', async () => {
    const path = writeSingleFile(dir(), {
      name: 'xz-1',
      content: Buffer.alloc(300_000, 'xz payload '),
      extraArgs: ['--compression', 'lzma'],
    });
    const meta = await parseAndCompare(path);
    const data = readFileSync(path);
    expect(await parseArtifact(chunked(data, 1))).toEqual(meta);
    expect(await parseArtifact(chunked(data, 4093))).toEqual(meta);
    expect(meta.updates[0]?.files.find((f) => f.name === 'hello.txt')?.size).toBe(300_000);
  });

  it('reads a gzip artifact whatever the chunking of the input', async () => {
    const path = writeSingleFile(dir(), { name: 'chunks-1', content: Buffer.alloc(100_000, 'gz ') });
    const data = readFileSync(path);
    const whole = await parseBuffer(data, data.length);
    for (const size of [1, 511, 512, 513, 10_000]) expect(await parseBuffer(data, size)).toEqual(whole);
  });

  it('reads a rootfs-image, whose type-info has an empty type, as type rootfs-image', async () => {
    writeFileSync(join(dir(), 'rootfs.ext4'), Buffer.alloc(64 * 1024, 7));
    const path = writeArtifact(dir(), 'rootfs.mender', 'rootfs-image', [
      '-f',
      join(dir(), 'rootfs.ext4'),
      '-t',
      'qemux86-64',
      '-n',
      'rootfs-3',
    ]);
    const meta = await parseAndCompare(path);
    const checksum = sha256(Buffer.alloc(64 * 1024, 7));
    expect(meta.updates[0]?.typeInfo.type).toBe('rootfs-image');
    expect(meta.provides).toEqual({
      artifact_name: 'rootfs-3',
      'rootfs-image.checksum': checksum,
      'rootfs-image.version': 'rootfs-3',
    });
    expect(meta.clearsProvides).toEqual(['artifact_group', 'rootfs_image_checksum', 'rootfs-image.*']);
    expect(meta.updates[0]?.files).toEqual([
      expect.objectContaining({ name: 'rootfs.ext4', checksum, size: 65536 }),
    ]);
  });

  it('reads provides, depends, groups, software version, meta-data and state scripts', async () => {
    writeFileSync(join(dir(), 'meta.json'), JSON.stringify({ a: 1, b: 'x', c: [1, 'y'] }));
    writeFileSync(join(dir(), 'ArtifactInstall_Enter_00_hello'), '#!/bin/sh\necho hi\n');
    const path = writeSingleFile(dir(), {
      name: 'rel-9',
      deviceTypes: ['a', 'b'],
      extraArgs: [
        ...['-g', 'grp1', '-G', 'grp0', '-G', 'grp00', '-N', 'release-1', '-N', 'release-0'],
        ...[
          '-p',
          'custom.key:val',
          '-d',
          'depkey:depval',
          '--software-name',
          'myapp',
          '--software-version',
          '9.9',
        ],
        ...['-m', join(dir(), 'meta.json'), '-s', join(dir(), 'ArtifactInstall_Enter_00_hello')],
      ],
    });
    const meta = await parseAndCompare(path);
    expect(menderRead(path).scripts).toEqual(['ArtifactInstall_Enter_00_hello']);
    expect(meta.provides).toEqual({
      artifact_name: 'rel-9',
      artifact_group: 'grp1',
      'custom.key': 'val',
      'rootfs-image.myapp.version': '9.9',
    });
    expect(meta.depends).toEqual({
      device_type: ['a', 'b'],
      artifact_name: ['release-1', 'release-0'],
      artifact_group: ['grp0', 'grp00'],
      depkey: ['depval'],
    });
    expect(meta.clearsProvides).toEqual(['rootfs-image.myapp.*']);
    expect(meta.updates[0]?.metadata).toEqual({ a: 1, b: 'x', c: [1, 'y'] });
  });

  it('reports signed artifacts (RSA and EC keys) without verifying them', async () => {
    const keys = makeSigningKeys(dir());
    for (const [kind, key] of Object.entries(keys)) {
      const path = writeSingleFile(dir(), { name: `signed-${kind}`, extraArgs: ['-k', key] });
      const meta = await parseAndCompare(path);
      expect(meta.signed).toBe(true);
    }
    const unsigned = await parseFile(writeSingleFile(dir(), { name: 'unsigned-1' }));
    expect(unsigned.signed).toBe(false);
  });

  it('reads a version 2 artifact', async () => {
    writeFileSync(join(dir(), 'v2.ext4'), Buffer.alloc(10_000, 3));
    const path = writeArtifact(dir(), 'v2.mender', 'rootfs-image', [
      ...['-f', join(dir(), 'v2.ext4'), '-t', 'beaglebone', '-n', 'rootfs-v2', '-v', '2'],
    ]);
    const meta = await parseFile(path);
    const read = menderRead(path);
    expect(read.version).toBe(2);
    expect(meta).toMatchObject({
      name: read.name,
      deviceTypesCompatible: read.deviceTypes,
      info: { format: 'mender', version: 2 },
      provides: { artifact_name: 'rootfs-v2' },
      depends: { device_type: ['beaglebone'] },
      clearsProvides: [],
    });
    expect(
      meta.updates.map((u) => ({ type: u.typeInfo.type, files: u.files.map((f) => f.checksum) })),
    ).toEqual(read.updates.map((u) => ({ type: u.type, files: u.files.map((f) => f.checksum) })));
  });

  it('reads an augmented artifact (manifest-augment, header-augment)', async () => {
    writeFileSync(join(dir(), 'delta.bin'), 'delta\n');
    writeFileSync(join(dir(), 'full.bin'), 'full\n');
    const path = writeArtifact(dir(), 'aug.mender', 'module-image', [
      ...['-T', 'mymod', '-t', 'dev1', '-n', 'aug-1', '-f', join(dir(), 'full.bin')],
      ...['--augment-type', 'mymod', '--augment-file', join(dir(), 'delta.bin')],
      ...['--augment-provides', 'ap:1', '--augment-depends', 'ad:2'],
    ]);
    const meta = await parseFile(path);
    const read = menderRead(path);
    expect(meta.provides).toEqual({ artifact_name: 'aug-1', 'rootfs-image.mymod.version': 'aug-1', ap: '1' });
    expect(meta.depends).toEqual({ device_type: ['dev1'], ad: ['2'] });
    expect(meta.updates[0]?.files.map((f) => [f.name, f.checksum])).toEqual(
      read.updates[0]?.files.map((f) => [f.name, f.checksum]),
    );
  });

  it('reads an empty-payload (bootstrap) artifact as type null', async () => {
    const path = writeArtifact(dir(), 'boot.mender', 'bootstrap-artifact', ['-n', 'boot-1', '-t', 'dev']);
    const meta = await parseAndCompare(path);
    expect(meta.updates).toEqual([{ typeInfo: { type: null }, files: [], metadata: {} }]);
  });

  it('reads zstd members (header.tar.zst, data/0000.tar.zst), re-packed from a --compression none artifact', async () => {
    // mender-artifact 3.9 writes no zstd (4.x does); the members are re-packed the way it would.
    const path = writeSingleFile(dir(), {
      name: 'zst-1',
      content: Buffer.alloc(500_000, 'zstd payload '),
      extraArgs: ['--compression', 'none'],
    });
    const plain = readFileSync(path);
    const expected = await parseBuffer(plain);
    const files = await readTarBuffer(plain);
    const member = (name: string) => files.find((f) => f.name === name)?.data ?? Buffer.alloc(0);
    const compressors: ((data: Buffer) => Buffer)[] = [(data) => zstdRawFrame(data)];
    if (existsSync('/usr/bin/zstd')) {
      compressors.push((data) => execFileSync('/usr/bin/zstd', ['-q', '-c', '-10'], { input: data }));
    } else console.warn('zstd CLI not installed: only raw-block zstd frames are tested here');
    for (const compress of compressors) {
      const header = compress(member('header.tar'));
      const manifest = manifestWith(member('manifest'), { 'header.tar': null, 'header.tar.zst': header });
      const repacked = await writeTarBuffer([
        { name: 'version', data: member('version') },
        { name: 'manifest', data: manifest },
        { name: 'header.tar.zst', data: header },
        { name: 'data/0000.tar.zst', data: compress(member('data/0000.tar')) },
      ]);
      const meta = await parseBuffer(repacked, 4096);
      expect({ ...meta, size: 0 }).toEqual({ ...expected, size: 0 });
      expect(meta.size).toBe(repacked.length);
    }
  });
});

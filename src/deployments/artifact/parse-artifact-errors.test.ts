import { readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeAll, expect, it } from 'vitest';
import {
  describeWithMenderArtifact,
  parseBuffer,
  useTempDir,
  writeSingleFile,
} from './artifact-test-fixtures.js';
import { manifestWith, readTarBuffer, type TarFile, writeTarBuffer } from './artifact-test-repack.js';
import { ArtifactError } from './index.js';

const PAYLOAD = `PAYLOAD-START ${'0123456789'.repeat(300)} PAYLOAD-END\n`;

/** Where each member's data sits in an outer tar written by Go (plain ustar headers). */
const memberData = (artifact: Buffer, name: string): { start: number; size: number } => {
  for (let at = 0; at + 512 <= artifact.length; ) {
    const header = artifact.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const entryName = header.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const size = Number.parseInt(header.toString('utf8', 124, 136).replace(/\0.*$/s, '').trim(), 8);
    if (entryName === name) return { start: at + 512, size };
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`no member ${name}`);
};

const flip = (data: Buffer, at: number): Buffer => {
  const copy = Buffer.from(data);
  copy[at] = (copy[at] ?? 0) ^ 0x20;
  return copy;
};

const rejectsWith = async (data: Buffer, message: string | RegExp, opts?: { maxHeaderBytes?: number }) => {
  const error = await parseBuffer(data, 64 * 1024, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ArtifactError);
  if (typeof message === 'string') expect((error as Error).message).toBe(message);
  else expect((error as Error).message).toMatch(message);
};

describeWithMenderArtifact('parseArtifact rejects broken artifacts', () => {
  const dir = useTempDir();
  let plain: Buffer; // --compression none
  let gz: Buffer; // gzip, the default
  let plainFiles: TarFile[];

  beforeAll(async () => {
    plain = readFileSync(
      writeSingleFile(dir(), { name: 'neg-plain', content: PAYLOAD, extraArgs: ['--compression', 'none'] }),
    );
    gz = readFileSync(writeSingleFile(dir(), { name: 'neg-gz', content: PAYLOAD }));
    plainFiles = await readTarBuffer(plain);
  });

  /** The plain artifact with some members replaced (or removed with null), in the same order. */
  const plainWith = async (changes: Record<string, Buffer | null>, extra: TarFile[] = []) => {
    const files = plainFiles
      .filter((f) => changes[f.name] !== null)
      .map((f) => ({ ...f, data: changes[f.name] ?? f.data }));
    return writeTarBuffer([...files, ...extra]);
  };
  const member = (name: string): Buffer => {
    const found = plainFiles.find((f) => f.name === name);
    if (!found) throw new Error(`no ${name}`);
    return found.data;
  };
  /** Replaces an inner file of header.tar and fixes the manifest, as a forger would. */
  const withHeaderFile = async (name: string, content: Buffer | string) => {
    const header = await readTarBuffer(member('header.tar'));
    const file = header.find((f) => f.name === name);
    if (file) file.data = Buffer.from(content);
    else header.push({ name, data: Buffer.from(content) });
    const headerTar = await writeTarBuffer(header);
    return plainWith({
      'header.tar': headerTar,
      manifest: manifestWith(member('manifest'), { 'header.tar': headerTar }),
    });
  };
  const headerJson = async (name: string) =>
    JSON.parse(
      (await readTarBuffer(member('header.tar'))).find((f) => f.name === name)?.data.toString() ?? '',
    );

  it('accepts the unmodified fixtures (and the re-packed plain one)', async () => {
    await expect(parseBuffer(plain)).resolves.toMatchObject({ name: 'neg-plain' });
    await expect(parseBuffer(gz)).resolves.toMatchObject({ name: 'neg-gz' });
    await expect(parseBuffer(await plainWith({}))).resolves.toMatchObject({ name: 'neg-plain' });
  });

  it('rejects one flipped byte in an uncompressed payload file', async () => {
    const at = plain.indexOf('PAYLOAD-START') + 200;
    await rejectsWith(flip(plain, at), 'manifest checksum mismatch for data/0000/hello.txt');
  });

  it('rejects every flipped byte inside the gzip data member that changes its content', async () => {
    // Some bytes of a gzip stream change nothing when flipped (the header's mtime and OS, code
    // lengths of unused symbols, padding bits): no reader can notice those, and none needs to.
    const { start, size } = memberData(gz, 'data/0000.tar.gz');
    const original = gunzipSync(gz.subarray(start, start + size));
    let rejected = 0;
    for (let at = 0; at < size; at++) {
      const broken = flip(gz, start + at);
      let same = false;
      try {
        same = gunzipSync(broken.subarray(start, start + size)).equals(original);
      } catch {}
      if (same) await expect(parseBuffer(broken)).resolves.toMatchObject({ name: 'neg-gz' });
      else {
        await rejectsWith(broken, /data\/0000/);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(size / 2);
  });

  it('rejects a flipped byte in the header', async () => {
    const { start, size } = memberData(gz, 'header.tar.gz');
    await rejectsWith(flip(gz, start + Math.floor(size / 2)), 'manifest checksum mismatch for header.tar.gz');
    const plainHeader = memberData(plain, 'header.tar');
    await rejectsWith(flip(plain, plainHeader.start + 20), 'manifest checksum mismatch for header.tar');
  });

  it('rejects a flipped byte in the version and the manifest', async () => {
    await rejectsWith(flip(plain, memberData(plain, 'version').start + 1), /version|Mender artifact/);
    const manifest = memberData(plain, 'manifest');
    await rejectsWith(flip(plain, manifest.start + 3), /manifest/);
  });

  it('rejects the artifact cut at any of several offsets', async () => {
    const cuts = new Set([1, 100, 511, 512, 513, 1024, 1536, 2000]);
    for (const name of ['version', 'manifest', 'header.tar.gz', 'data/0000.tar.gz']) {
      const { start, size } = memberData(gz, name);
      for (const at of [start - 1, start, start + Math.floor(size / 2), start + size]) cuts.add(at);
    }
    for (const back of [1024, 1023, 512, 511, 1]) cuts.add(gz.length - back);
    for (const cut of cuts) await rejectsWith(gz.subarray(0, cut), 'truncated artifact');
  });

  it('rejects data appended after the end of the artifact', async () => {
    await rejectsWith(
      Buffer.concat([plain, Buffer.from('garbage')]),
      'trailing garbage after the end of the artifact',
    );
    await rejectsWith(
      Buffer.concat([gz, Buffer.alloc(512, 'x')]),
      'trailing garbage after the end of the artifact',
    );
    const oneByte = Buffer.concat([gz, Buffer.alloc(2048)]);
    oneByte[oneByte.length - 700] = 1;
    await rejectsWith(oneByte, 'trailing garbage after the end of the artifact');
    // Zero padding (GNU tar pads to 10 KiB records) is no garbage.
    await expect(parseBuffer(Buffer.concat([gz, Buffer.alloc(10240)]))).resolves.toMatchObject({
      name: 'neg-gz',
    });
  });

  it('rejects a data file the manifest does not list', async () => {
    const data = await readTarBuffer(member('data/0000.tar'));
    const tar = await writeTarBuffer([...data, { name: 'extra.txt', data: Buffer.from('not signed\n') }]);
    await rejectsWith(
      await plainWith({ 'data/0000.tar': tar }),
      "file 'extra.txt' in data/0000.tar is not listed in the manifest",
    );
  });

  it('rejects a data file that appears twice', async () => {
    const data = await readTarBuffer(member('data/0000.tar'));
    const tar = await writeTarBuffer([...data, ...data.filter((f) => f.name === 'hello.txt')]);
    await rejectsWith(
      await plainWith({ 'data/0000.tar': tar }),
      "duplicate 'data/0000/hello.txt' in the artifact",
    );
  });

  it('rejects a manifest entry the artifact does not deliver', async () => {
    const manifest = manifestWith(member('manifest'), { 'data/0000/ghost.txt': Buffer.from('boo') });
    await rejectsWith(
      await plainWith({ manifest }),
      "the manifest lists 'data/0000/ghost.txt' but the artifact does not contain it",
    );
    const noData = await plainWith({ 'data/0000.tar': null });
    await rejectsWith(
      noData,
      /^the manifest lists files the artifact does not contain: data\/0000\/dest_dir, /,
    );
  });

  it('rejects malformed and hostile manifests', async () => {
    const withLine = (line: string) => Buffer.concat([member('manifest'), Buffer.from(`${line}\n`)]);
    const sum = 'a'.repeat(64);
    await rejectsWith(
      await plainWith({ manifest: withLine(`${sum}  data/0000/../../etc/passwd`) }),
      /manifest: invalid file name/,
    );
    await rejectsWith(
      await plainWith({ manifest: withLine(`${sum}  /etc/passwd`) }),
      /manifest: invalid file name/,
    );
    await rejectsWith(
      await plainWith({ manifest: withLine(`${sum} version`) }),
      /manifest: line 7 is not '<sha256> {2}<name>'/,
    );
    await rejectsWith(
      await plainWith({ manifest: withLine(`${'A'.repeat(64)}  data/0000/x`) }),
      /manifest: line 7/,
    );
    const dup = member('manifest').toString().split('\n')[0];
    await rejectsWith(
      await plainWith({ manifest: withLine(dup ?? '') }),
      /manifest: duplicate entry for 'data\/0000\//,
    );
    const noVersion = manifestWith(member('manifest'), { version: null });
    await rejectsWith(await plainWith({ manifest: noVersion }), "the manifest has no checksum for 'version'");
  });

  it('rejects hostile names and entry types inside the data archive', async () => {
    const data = await readTarBuffer(member('data/0000.tar'));
    for (const name of ['../evil.txt', '/etc/passwd', 'sub/dir.txt', 'sp ace']) {
      const tar = await writeTarBuffer([{ name, data: Buffer.from('x') }, ...data]);
      await rejectsWith(await plainWith({ 'data/0000.tar': tar }), /data\/0000.tar: invalid file name/);
    }
    const link = await writeTarBuffer([
      { name: 'hello.txt', data: Buffer.alloc(0), type: 'symlink', linkname: '/etc/shadow' },
    ]);
    await rejectsWith(
      await plainWith({ 'data/0000.tar': link }),
      "data/0000.tar: 'hello.txt' is a symlink, not a regular file",
    );
  });

  it('rejects a data archive without its end-of-archive marker', async () => {
    const tar = member('data/0000.tar');
    await rejectsWith(
      await plainWith({ 'data/0000.tar': tar.subarray(0, tar.length - 1024) }),
      'truncated tar archive in data/0000.tar',
    );
    await rejectsWith(
      await plainWith({ 'data/0000.tar': Buffer.concat([tar, Buffer.from('junk')]) }),
      'trailing garbage after the tar archive in data/0000.tar',
    );
  });

  it('rejects data after the gzip stream of a data member', async () => {
    const gzFiles = await readTarBuffer(gz);
    const data = gzFiles.find((f) => f.name === 'data/0000.tar.gz')?.data ?? Buffer.alloc(0);
    for (const tail of [Buffer.alloc(100), Buffer.from('garbage')]) {
      const tar = await writeTarBuffer(
        gzFiles.map((f) => (f === gzFiles[3] ? { ...f, data: Buffer.concat([data, tail]) } : f)),
      );
      await rejectsWith(tar, /data\/0000.tar.gz/);
    }
  });

  it('rejects inputs that are not Mender artifacts', async () => {
    await rejectsWith(Buffer.alloc(0), 'not a Mender artifact: empty input');
    await rejectsWith(
      Buffer.from('this is not a tar archive\n'.repeat(100)),
      'not a Mender artifact: not a tar archive',
    );
    await rejectsWith(gzipSync(plain), 'not a Mender artifact: not a tar archive');
    await rejectsWith(
      await writeTarBuffer([{ name: 'README', data: Buffer.from('hi') }]),
      "not a Mender artifact: first entry must be 'version', not 'README'",
    );
  });

  it('rejects version files of other formats and versions', async () => {
    const version = (text: string) => plainWith({ version: Buffer.from(text) });
    await rejectsWith(
      await version('{"format":"mender","version":1}'),
      /^unsupported artifact format version 1/,
    );
    await rejectsWith(
      await version('{"format":"mender","version":4}'),
      'unsupported artifact format version 4',
    );
    await rejectsWith(
      await version('{"format":"other","version":3}'),
      'not a Mender artifact: version format is "other"',
    );
    await rejectsWith(await version('hello'), 'not a Mender artifact: the version file is not a JSON object');
    await rejectsWith(
      await version('{"format":"mender","version":3,"x":1}'),
      "version: unexpected field 'x'",
    );
    await rejectsWith(
      await version('{"format":"mender", "version":3}'),
      'manifest checksum mismatch for version',
    );
  });

  it('rejects members out of order, duplicated, unknown or with unknown compression', async () => {
    const [version, manifest, header, data] = plainFiles as [TarFile, TarFile, TarFile, TarFile];
    const sig = { name: 'manifest.sig', data: Buffer.from('c2ln') };
    await rejectsWith(
      await writeTarBuffer([version, header, manifest, data]),
      "'header.tar' must come after 'manifest'",
    );
    await rejectsWith(
      await writeTarBuffer([version, manifest, data, header]),
      "'data/0000.tar' must come after the header (header.tar[.gz|.xz|.zst])",
    );
    await rejectsWith(
      await writeTarBuffer([version, manifest, header, sig, data]),
      "misplaced 'manifest.sig': it must come before 'header.tar'",
    );
    await rejectsWith(
      await writeTarBuffer([version, manifest, manifest, header, data]),
      "duplicate 'manifest' in the artifact",
    );
    await rejectsWith(
      await writeTarBuffer([version, manifest, header, data, data]),
      "duplicate payload archive 'data/0000.tar'",
    );
    await rejectsWith(
      await plainWith({}, [{ name: 'README', data: Buffer.from('x') }]),
      "unexpected file 'README' in the artifact",
    );
    await rejectsWith(
      await plainWith({}, [{ name: '../../etc/passwd', data: Buffer.from('x') }]),
      "unexpected file '../../etc/passwd' in the artifact",
    );
    await rejectsWith(
      await writeTarBuffer([version, manifest, header, { ...data, name: 'data/0000.tar.bz2' }]),
      /^unsupported compression '.bz2' of 'data\/0000.tar.bz2'/,
    );
    await rejectsWith(
      await writeTarBuffer([version, manifest, header, { ...data, name: 'data/0001.tar' }]),
      "'data/0001.tar' has no matching payload (header-info lists 1)",
    );
    await rejectsWith(
      await writeTarBuffer([version, manifest, header, { ...data, name: 'data/x.tar' }]),
      /^invalid payload archive name 'data\/x.tar'/,
    );
    await rejectsWith(
      await writeTarBuffer([
        version,
        manifest,
        { name: 'manifest-augment', data: Buffer.alloc(0) },
        header,
        data,
      ]),
      /'manifest-augment' requires a header-augment/,
    );
  });

  it('rejects provides lists, type mismatches and unknown fields in the header', async () => {
    const typeInfo = await headerJson('headers/0000/type-info');
    await rejectsWith(
      await withHeaderFile(
        'headers/0000/type-info',
        JSON.stringify({ ...typeInfo, artifact_provides: { a: ['1', '2'] } }),
      ),
      'header.tar: headers/0000/type-info: artifact_provides.a must be a string (Mender does not accept lists in provides)',
    );
    await rejectsWith(
      await withHeaderFile('headers/0000/type-info', JSON.stringify({ ...typeInfo, type: 'other' })),
      "header.tar: headers/0000/type-info says type 'other' but header-info says 'single-file'",
    );
    await rejectsWith(
      await withHeaderFile(
        'headers/0000/type-info',
        JSON.stringify({ ...typeInfo, artifact_provides: { artifact_name: 'other' } }),
      ),
      "conflicting artifact_provides key 'artifact_name' in headers/0000/type-info (already set by header-info or another payload)",
    );
    const info = await headerJson('header-info');
    await rejectsWith(
      await withHeaderFile('header-info', JSON.stringify({ ...info, extra: 1 })),
      "header-info: unexpected field 'extra'",
    );
    await rejectsWith(
      await withHeaderFile('headers/0000/meta-data', '[1,2]'),
      'header.tar: headers/0000/meta-data: the top level must be a JSON object',
    );
    await rejectsWith(
      await withHeaderFile('headers/0001/type-info', '{}'),
      "header.tar: 'headers/0001/type-info' has no matching payload in header-info",
    );
    await rejectsWith(
      await withHeaderFile('scripts/../../evil', 'x'),
      "header.tar: unexpected entry 'scripts/../../evil'",
    );
    await rejectsWith(await withHeaderFile('header-info', '{"payloads":'), /^header-info: invalid JSON/);
  });

  it('refuses NUL, nesting beyond 32 levels and invalid UTF-8 in every JSON member of the header', async () => {
    const typeInfo = await headerJson('headers/0000/type-info');
    await rejectsWith(
      await withHeaderFile(
        'headers/0000/type-info',
        JSON.stringify({ ...typeInfo, artifact_provides: { 'rootfs-image.x.version': 'a\u0000b' } }),
      ),
      'header.tar: headers/0000/type-info: strings must not contain NUL (U+0000)',
    );
    await rejectsWith(
      await withHeaderFile('headers/0000/meta-data', JSON.stringify({ deep: { k: ['\u0000'] } })),
      'header.tar: headers/0000/meta-data: strings must not contain NUL (U+0000)',
    );
    await rejectsWith(
      await withHeaderFile('headers/0000/meta-data', `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`),
      'header.tar: headers/0000/meta-data: JSON nested deeper than 32 levels',
    );
    await rejectsWith(
      await withHeaderFile('header-info', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
      'header-info: not valid UTF-8',
    );
  });

  it('enforces limits on names, device types and header size', async () => {
    const info = await headerJson('header-info');
    const long = 'n'.repeat(257);
    await rejectsWith(
      await withHeaderFile(
        'header-info',
        JSON.stringify({ ...info, artifact_provides: { artifact_name: long } }),
      ),
      'header-info: artifact_provides.artifact_name is longer than 256 bytes',
    );
    await rejectsWith(
      await withHeaderFile(
        'header-info',
        JSON.stringify({ ...info, artifact_provides: { artifact_name: 'a\u0007b' } }),
      ),
      'header-info: artifact_provides.artifact_name contains non-printable characters',
    );
    const many = Array.from({ length: 201 }, (_, i) => `dev-${i}`);
    await rejectsWith(
      await withHeaderFile(
        'header-info',
        JSON.stringify({ ...info, artifact_depends: { device_type: many } }),
      ),
      'header-info: artifact_depends.device_type must list 1 to 200 entries',
    );
    await rejectsWith(
      await withHeaderFile('header-info', JSON.stringify({ ...info, artifact_depends: { device_type: [] } })),
      'header-info: artifact_depends.device_type must list 1 to 200 entries',
    );
    await expect(parseBuffer(gz, 64 * 1024, { maxHeaderBytes: 2000 })).rejects.toThrow(
      'header.tar.gz is larger than 2000 bytes when uncompressed',
    );
    await rejectsWith(gz, "'header.tar.gz' is larger than 100 bytes", { maxHeaderBytes: 100 });
  });
});

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export const MENDER_ARTIFACT = '/usr/bin/mender-artifact';

const made: string[] = [];
process.once('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
/** A temp dir removed when the test process exits. */
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/**
 * Builds a single-file module-image artifact with the real mender-artifact
 * (docs/compat/mender-clients.md#mender-artifact). Returns the .mender path.
 */
export const makeSingleFileArtifact = (opts: {
  name: string;
  deviceTypes: string[];
  destDir?: string;
  fileName?: string;
  content?: string | Buffer;
  compression?: 'none' | 'gzip' | 'lzma';
  signingKey?: string;
  extraArgs?: string[];
}): string => {
  const dir = tempDir('gh-artifact-');
  const src = join(dir, opts.fileName ?? 'payload.txt');
  writeFileSync(src, opts.content ?? `hello from ${opts.name}\n`);
  chmodSync(src, 0o644);
  const meta = join(dir, 'meta');
  mkdirSync(meta);
  writeFileSync(join(meta, 'dest_dir'), `${opts.destDir ?? '/tmp'}\n`);
  writeFileSync(join(meta, 'filename'), `${basename(src)}\n`);
  writeFileSync(join(meta, 'permissions'), '644\n');
  const out = join(dir, `${opts.name}.mender`);
  execFileSync(
    MENDER_ARTIFACT,
    [
      'write',
      'module-image',
      '-T',
      'single-file',
      ...opts.deviceTypes.flatMap((t) => ['-t', t]),
      '-n',
      opts.name,
      '-o',
      out,
      '-f',
      join(meta, 'dest_dir'),
      '-f',
      join(meta, 'filename'),
      '-f',
      join(meta, 'permissions'),
      '-f',
      src,
      ...(opts.compression ? ['--compression', opts.compression] : []),
      ...(opts.signingKey ? ['-k', opts.signingKey] : []),
      ...(opts.extraArgs ?? []),
    ],
    { stdio: 'pipe' },
  );
  return out;
};

/** A rootfs-image artifact (it cannot install in a container: a deterministic failure). */
export const makeRootfsArtifact = (opts: { name: string; deviceTypes: string[] }): string => {
  const dir = tempDir('gh-rootfs-');
  const img = join(dir, 'rootfs.ext4');
  writeFileSync(img, Buffer.alloc(64 * 1024, 7));
  const out = join(dir, `${opts.name}.mender`);
  execFileSync(
    MENDER_ARTIFACT,
    [
      'write',
      'rootfs-image',
      '-f',
      img,
      ...opts.deviceTypes.flatMap((t) => ['-t', t]),
      '-n',
      opts.name,
      '-o',
      out,
    ],
    { stdio: 'pipe' },
  );
  return out;
};

/** A multipart/form-data body as mender-cli sends it (size, description, then the artifact). */
export const multipartUpload = async (
  artifact: Buffer,
  opts: { description?: string; size?: number | string; filename?: string } = {},
): Promise<{ body: Buffer; contentType: string }> => {
  const fd = new FormData();
  fd.append('size', String(opts.size ?? artifact.length));
  fd.append('description', opts.description ?? '');
  fd.append(
    'artifact',
    new Blob([artifact], { type: 'application/octet-stream' }),
    opts.filename ?? 'a.mender',
  );
  const r = new Response(fd);
  return { body: Buffer.from(await r.arrayBuffer()), contentType: r.headers.get('content-type') as string };
};

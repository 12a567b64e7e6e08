/**
 * Test support for the artifact parser (not a test file itself): real artifacts written by
 * Debian's mender-artifact 3.9 at test time. See also artifact-test-repack.ts (building broken
 * artifacts) and artifact-test-read.ts (the tool's own view of an artifact).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe } from 'vitest';
import { parseArtifact } from './index.js';

export const MENDER_ARTIFACT = '/usr/bin/mender-artifact';
const IN_CI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * A describe() block that needs the real mender-artifact: skipped locally when the tool is
 * missing (with the reason in its name), failing in CI (`apt-get install mender-artifact`).
 */
export const describeWithMenderArtifact = (name: string, body: () => void): void => {
  const missing = !existsSync(MENDER_ARTIFACT);
  if (missing && !IN_CI) {
    describe.skip(`${name} [skipped: ${MENDER_ARTIFACT} not installed]`, body);
    return;
  }
  describe(name, () => {
    if (missing) {
      beforeAll(() => {
        throw new Error(`${MENDER_ARTIFACT} is required in CI (apt-get install mender-artifact)`);
      });
    }
    body();
  });
};

/** A temporary directory for the current describe block, removed after it. */
export const useTempDir = (prefix = 'gh-artifact-test-'): (() => string) => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
};

export const run = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 }).toString(
    'utf8',
  );

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** `mender-artifact write <kind> ... -o <dir>/<name>.mender`; returns the path. */
export const writeArtifact = (dir: string, fileName: string, kind: string, args: string[]): string => {
  const out = join(dir, fileName);
  run(MENDER_ARTIFACT, ['write', kind, ...args, '-o', out]);
  return out;
};

export interface SingleFileOptions {
  name: string;
  deviceTypes?: string[];
  content?: string | Buffer;
  fileName?: string;
  extraArgs?: string[];
}

/**
 * A single-file module-image as examples/single-file-artifact-gen (shipped with the client package)
 * makes it (docs/compat/mender-clients.md#mender-artifact).
 */
export const writeSingleFile = (dir: string, opts: SingleFileOptions): string => {
  const work = mkdtempSync(join(dir, 'sf-'));
  const fileName = opts.fileName ?? 'hello.txt';
  const payload = join(work, fileName);
  writeFileSync(payload, opts.content ?? `hello from ${opts.name}\n`);
  writeFileSync(join(work, 'dest_dir'), '/tmp/target\n');
  writeFileSync(join(work, 'filename'), `${fileName}\n`);
  writeFileSync(join(work, 'permissions'), '644\n');
  return writeArtifact(dir, `${opts.name}.mender`, 'module-image', [
    '-T',
    'single-file',
    ...(opts.deviceTypes ?? ['qemux86-64']).flatMap((t) => ['-t', t]),
    '-n',
    opts.name,
    ...['dest_dir', 'filename', 'permissions', fileName].flatMap((f) => ['-f', join(work, f)]),
    ...(opts.extraArgs ?? []),
  ]);
};

/**
 * Traditional-PEM signing keys, the only kind mender-artifact 3.9 accepts
 * (docs/compat/mender-clients.md#mender-artifact).
 */
export const makeSigningKeys = (dir: string): { rsa: string; ec: string } => {
  const rsa = join(dir, 'rsa.pem');
  const ec = join(dir, 'ec.pem');
  run('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${rsa}.p8`]);
  run('openssl', ['pkey', '-in', `${rsa}.p8`, '-traditional', '-out', rsa]);
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${ec}.p8`]);
  run('openssl', ['ec', '-in', `${ec}.p8`, '-out', ec]);
  return { rsa, ec };
};

/** Splits a buffer into chunks of `size` bytes, to exercise every boundary case of the parser. */
export const chunked = (data: Buffer, size: number): Readable => {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
  return Readable.from(parts);
};

export const parseBuffer = (data: Buffer, chunkSize = 64 * 1024, opts?: { maxHeaderBytes?: number }) =>
  parseArtifact(chunked(data, chunkSize), opts);

export const parseFile = (path: string) => parseBuffer(readFileSync(path));

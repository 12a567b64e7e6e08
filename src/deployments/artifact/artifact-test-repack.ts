/** Test support: re-packing tar archives in memory, to build artifacts no tool writes. */
import { extract, pack } from 'tar-stream';
import { sha256 } from './artifact-test-fixtures.js';

export interface TarFile {
  name: string;
  data: Buffer;
  mtime?: Date;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

export const readTarBuffer = async (data: Buffer): Promise<TarFile[]> => {
  const out: TarFile[] = [];
  const ex = extract();
  const done = (async () => {
    for await (const entry of ex) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk as Buffer);
      out.push({ name: entry.header.name, data: Buffer.concat(parts), mtime: entry.header.mtime });
    }
  })();
  ex.end(data);
  await done;
  return out;
};

export const writeTarBuffer = async (files: TarFile[]): Promise<Buffer> => {
  const p = pack();
  const parts: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of p) parts.push(chunk as Buffer);
  })();
  for (const f of files) {
    const header = {
      name: f.name,
      mtime: f.mtime ?? new Date(0),
      mode: 0o600,
      type: f.type ?? 'file',
      ...(f.linkname ? { linkname: f.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (header.type === 'file') p.entry(header, f.data, done);
      else p.entry(header, done);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(parts);
};

/** Rewrites the manifest lines of `manifest` for the given members (name → new content). */
export const manifestWith = (manifest: Buffer, changes: Record<string, Buffer | null>): Buffer => {
  const lines = manifest
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
  const kept = lines.filter((l) => !Object.hasOwn(changes, l.slice(66)));
  for (const [name, content] of Object.entries(changes)) {
    if (content) kept.push(`${sha256(content)}  ${name}`);
  }
  return Buffer.from(`${kept.sort((a, b) => a.slice(66).localeCompare(b.slice(66))).join('\n')}\n`);
};

// zstd without a zstd writer (Node 20 has none; fzstd only decompresses).

/** A zstd frame of raw (stored) blocks, RFC 8878 §3.1.1; enough to test framing and the guard. */
export const zstdRawFrame = (
  data: Buffer,
  opts: { singleSegment?: boolean; windowLog?: number } = {},
): Buffer => {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd])];
  const windowLog = opts.windowLog ?? 20;
  if (opts.singleSegment) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(data.length);
    parts.push(Buffer.from([0xa0]), size); // 4-byte content size, single segment
  } else {
    parts.push(Buffer.from([0x00, (windowLog - 10) << 3])); // window descriptor only
  }
  const blockMax = Math.min(128 * 1024, opts.singleSegment ? Math.max(data.length, 1) : 2 ** windowLog);
  let at = 0;
  do {
    const block = data.subarray(at, at + blockMax);
    at += block.length;
    const header = Buffer.alloc(3);
    header.writeUIntLE((at >= data.length ? 1 : 0) | (block.length << 3), 0, 3);
    parts.push(header, block);
  } while (at < data.length);
  return Buffer.concat(parts);
};

/** A zstd frame of `blocks` RLE blocks of 128 KiB each: 4 bytes in, 128 KiB out per block. */
export const zstdRleBomb = (blocks: number): Buffer => {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (20 - 10) << 3])];
  for (let i = 0; i < blocks; i++) {
    const header = Buffer.alloc(4);
    header.writeUIntLE((i === blocks - 1 ? 1 : 0) | (1 << 1) | ((128 * 1024) << 3), 0, 3);
    header[3] = 0x41;
    parts.push(header);
  }
  return Buffer.concat(parts);
};

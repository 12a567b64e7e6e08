import { createHash } from 'node:crypto';
import { ArtifactError } from './artifact-error.js';
import type { ArtifactFile } from './artifact-types.js';
import { type Compression, decompress } from './decompress.js';
import type { ChecksumStore } from './manifest.js';
import { innerTarMessages, readTar } from './tar-entries.js';

/** mender-artifact's rule for payload file names (readAndInstallDataFiles), which also rules out paths. */
const FILE_NAME = /^[\w\-.,]+$/;

/** RFC 3339 in UTC with whole seconds, as Go marshals the tar header's time.Time. */
const rfc3339 = (date: Date): string => {
  const at = Number.isNaN(date.getTime()) ? new Date(0) : date;
  return at.toISOString().replace(/\.000Z$/, 'Z');
};

/**
 * Streams one `data/NNNN.tar*` member: each file inside is hashed as it goes by and checked
 * against the manifest's `data/NNNN/<name>` entry. Nothing is buffered beyond a chunk.
 */
export const readDataArchive = async (
  body: AsyncIterable<Buffer>,
  compression: Compression,
  member: string,
  opts: { index: number; checksums: ChecksumStore; listedFiles?: string[] },
): Promise<ArtifactFile[]> => {
  const files: ArtifactFile[] = [];
  const bucket = `data/${String(opts.index).padStart(4, '0')}`;
  for await (const entry of readTar(decompress(compression, body, member), innerTarMessages(member))) {
    const { name } = entry;
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') {
      throw new ArtifactError(`${member}: '${name}' is a ${entry.type}, not a regular file`);
    }
    if (!FILE_NAME.test(name) || name === '.' || name === '..') {
      throw new ArtifactError(
        `${member}: invalid file name '${name}' (only letters, digits and "_-.," are allowed, no directories)`,
      );
    }
    const key = `${bucket}/${name}`;
    if (!opts.checksums.has(key))
      throw new ArtifactError(`file '${name}' in ${member} is not listed in the manifest`);
    if (opts.listedFiles && !opts.listedFiles.includes(name)) {
      throw new ArtifactError(
        `file '${name}' in ${member} is not listed in headers/${bucket.slice(5)}/files`,
      );
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of entry.body) {
      hash.update(chunk);
      size += chunk.length;
    }
    const checksum = hash.digest('hex');
    opts.checksums.verify(key, checksum);
    files.push({ name, checksum, size, date: rfc3339(entry.mtime) });
  }
  return files;
};

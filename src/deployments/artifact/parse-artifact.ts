import { createHash } from 'node:crypto';
import { finished, PassThrough, Readable } from 'node:stream';
import { ArtifactError } from './artifact-error.js';
import {
  DEFAULT_MAX_HEADER_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_SIGNATURE_BYTES,
  MAX_VERSION_BYTES,
} from './artifact-limits.js';
import { buildArtifactMeta } from './artifact-meta.js';
import type { ArtifactFile, ArtifactMeta, ParseArtifactOptions } from './artifact-types.js';
import { collectBytes } from './byte-streams.js';
import { readDataArchive } from './data-reader.js';
import { type AugmentHeader, type Header, readAugmentHeader, readHeader } from './header-reader.js';
import { onlyKeys, parseJsonObject } from './json-checks.js';
import { createChecksumStore } from './manifest.js';
import { classifyMember, createMemberOrder } from './outer-members.js';
import { outerTarMessages, readTar, type TarStats } from './tar-entries.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const parseVersion = (raw: Buffer): 2 | 3 => {
  let doc: Record<string, unknown>;
  try {
    doc = parseJsonObject(raw, 'version');
  } catch {
    throw new ArtifactError('not a Mender artifact: the version file is not a JSON object');
  }
  onlyKeys(doc, ['format', 'version'], 'version');
  if (doc.format !== 'mender') {
    throw new ArtifactError(
      `not a Mender artifact: version format is ${JSON.stringify(doc.format) ?? 'missing'}`,
    );
  }
  if (doc.version === 1)
    throw new ArtifactError('unsupported artifact format version 1 (only versions 2 and 3 are read)');
  if (doc.version !== 2 && doc.version !== 3) {
    throw new ArtifactError(
      `unsupported artifact format version ${JSON.stringify(doc.version) ?? 'missing'}`,
    );
  }
  return doc.version;
};

/** The outer tar, member by member (docs/compat/mender-artifacts.md#member-order). */
const parseMembers = async (
  input: AsyncIterable<Uint8Array>,
  maxHeaderBytes: number,
): Promise<ArtifactMeta> => {
  const order = createMemberOrder();
  const checksums = createChecksumStore();
  const stats: TarStats = { bytes: 0 };
  let version: 2 | 3 | undefined;
  let versionChecksum = '';
  let signed = false;
  let header: Header | undefined;
  let augment: AugmentHeader | undefined;
  const files: ArtifactFile[][] = [];
  const tooBig = (name: string, limit: number) => () =>
    new ArtifactError(`'${name}' is larger than ${limit} bytes`);

  for await (const entry of readTar(input, outerTarMessages, stats)) {
    const { name } = entry;
    if (version === undefined && name !== 'version') {
      throw new ArtifactError(`not a Mender artifact: first entry must be 'version', not '${name}'`);
    }
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') {
      throw new ArtifactError(`'${name}' in the artifact is a ${entry.type}, not a regular file`);
    }
    const member = classifyMember(name);
    order.accept(member, name);
    switch (member.kind) {
      case 'version': {
        const raw = await collectBytes(entry.body, MAX_VERSION_BYTES, tooBig(name, MAX_VERSION_BYTES));
        version = parseVersion(raw);
        order.setVersion(version);
        versionChecksum = sha256(raw);
        break;
      }
      case 'manifest':
      case 'manifest-augment': {
        checksums.add(
          await collectBytes(entry.body, MAX_MANIFEST_BYTES, tooBig(name, MAX_MANIFEST_BYTES)),
          member.kind,
        );
        if (member.kind === 'manifest') checksums.verify('version', versionChecksum);
        break;
      }
      case 'manifest.sig':
        // Kept as Mender keeps it: the presence is recorded, the signature is not checked.
        await collectBytes(entry.body, MAX_SIGNATURE_BYTES, tooBig(name, MAX_SIGNATURE_BYTES));
        signed = true;
        break;
      case 'header':
      case 'header-augment': {
        // Checked against the manifest before a byte of it is decompressed or parsed.
        const raw = await collectBytes(entry.body, maxHeaderBytes, tooBig(name, maxHeaderBytes));
        checksums.verify(name, sha256(raw));
        if (member.kind === 'header') {
          header = await readHeader(raw, member.compression, name, {
            version: version ?? 3,
            maxBytes: maxHeaderBytes,
          });
        } else if (header) {
          augment = await readAugmentHeader(raw, member.compression, name, {
            original: header,
            maxBytes: maxHeaderBytes,
          });
        }
        break;
      }
      case 'data': {
        if (!header) break; // unreachable: the member order requires the header first
        const { index } = member;
        const payloads = header.info.payloadTypes.length;
        if (index >= payloads) {
          throw new ArtifactError(`'${name}' has no matching payload (header-info lists ${payloads})`);
        }
        if (files[index]) throw new ArtifactError(`duplicate payload archive '${name}'`);
        files[index] = await readDataArchive(entry.body, member.compression, name, {
          index,
          checksums,
          listedFiles: header.payloads[index]?.files,
        });
        break;
      }
    }
  }
  order.finish();
  const missing = checksums.missing();
  if (missing.length === 1)
    throw new ArtifactError(`the manifest lists '${missing[0]}' but the artifact does not contain it`);
  if (missing.length > 1) {
    const shown = missing.slice(0, 5).join(', ');
    const more = missing.length > 5 ? ` and ${missing.length - 5} more` : '';
    throw new ArtifactError(`the manifest lists files the artifact does not contain: ${shown}${more}`);
  }
  if (!header || version === undefined) throw new ArtifactError('the artifact has no header');
  return buildArtifactMeta({ version, header, augment, files, signed, size: stats.bytes });
};

/**
 * Reads a Mender Artifact from `input` to its end, verifying every checksum of the manifest
 * against the streamed bytes, and returns what the server stores about it. Memory stays bounded
 * whatever the payload size: payloads are hashed as they stream by; only the small members are
 * buffered, each with a limit.
 *
 * Rejects with an ArtifactError (message meant for the uploader) when the artifact is invalid.
 * If `input` itself fails (a client that disconnects) the promise rejects with that error. On
 * any failure the rest of `input` is drained rather than destroyed, so whoever else reads or
 * answers on it (a tee to blob storage, an HTTP response with the 400) is not left hanging;
 * a caller who wants to cut the connection instead destroys `input` itself.
 */
export const parseArtifact = async (
  input: NodeJS.ReadableStream | Readable,
  opts: ParseArtifactOptions = {},
): Promise<ArtifactMeta> => {
  const maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const source = input instanceof Readable ? input : new Readable().wrap(input);
  // A private pipe between the caller's stream and the parser: the parser may destroy its end
  // when it gives up, without destroying the caller's stream (an HTTP request, say).
  const feed = new PassThrough();
  let inputFailure: { error: unknown } | undefined;
  let rejectInput: (error: unknown) => void = () => {};
  const inputFailed = new Promise<never>((_, reject) => {
    rejectInput = reject;
  });
  const stopWatching = finished(source, (error) => {
    if (!error) return;
    inputFailure ??= { error };
    feed.destroy(error);
    rejectInput(error);
  });
  source.pipe(feed);
  // Settle as soon as the input fails, even if the parser is waiting on something else (its
  // turn at the xz decoder, say); it winds down by itself once it reads the destroyed feed.
  const parsing = parseMembers(feed, maxHeaderBytes);
  parsing.catch(() => {});
  try {
    return await Promise.race([parsing, inputFailed]);
  } catch (error) {
    throw inputFailure ? inputFailure.error : error;
  } finally {
    stopWatching();
    source.unpipe(feed);
    feed.destroy();
    if (!inputFailure && !source.readableEnded && !source.destroyed) {
      // The remainder is discarded; a late failure of it (the client going away) has nobody
      // left to report to, and an 'error' without a listener would take the process down.
      source.on('error', () => {});
      source.resume();
    }
  }
};

import { ArtifactError } from './artifact-error.js';
import { MAX_SCRIPTS } from './artifact-limits.js';
import { collectBytes, limitBytes } from './byte-streams.js';
import { type Compression, decompress } from './decompress.js';
import { type HeaderInfo, parseAugmentHeaderInfo, parseHeaderInfo } from './header-info.js';
import { checkName, parseJsonObject } from './json-checks.js';
import { innerTarMessages, readTar } from './tar-entries.js';
import { parseFilesList, parseMetaData, parseTypeInfo, type TypeInfo } from './type-info.js';

/** What one `headers/NNNN/` bucket holds. */
export interface PayloadHeader {
  typeInfo?: TypeInfo;
  metaData?: Record<string, unknown>;
  /** v2 only: the payload's file names. */
  files?: string[];
}

export interface Header {
  info: HeaderInfo;
  /** `scripts/<name>` entries (their content is not kept). */
  scripts: string[];
  payloads: PayloadHeader[];
}

export interface AugmentHeader {
  payloadTypes: (string | null)[];
  payloads: PayloadHeader[];
}

/** Directories some tar writers add; mender-artifact writes none, its reader skips them. */
const DIRECTORY = /^(?:scripts|headers|headers\/\d{4})\/?$/;
const SCRIPT = /^scripts\/([^/]+)$/;
const BUCKET_FILE = /^headers\/(\d{4})\/(type-info|meta-data|files)$/;

async function* once(raw: Buffer): AsyncGenerator<Buffer> {
  yield raw;
}

const drain = async (body: AsyncIterable<unknown>): Promise<void> => {
  for await (const _chunk of body) {
    // scripts are delivered to devices as they are; the server only lists their names
  }
};

interface RawHeader {
  headerInfo: Buffer;
  scripts: string[];
  buckets: Map<string, Buffer>;
}

/** Walks the inner tar: header-info first, then scripts, then headers/NNNN/ files. */
const readEntries = async (
  raw: Buffer,
  compression: Compression,
  what: string,
  opts: { augment: boolean; maxBytes: number },
): Promise<RawHeader> => {
  const tooBig = () => new ArtifactError(`${what} is larger than ${opts.maxBytes} bytes when uncompressed`);
  const content = limitBytes(decompress(compression, once(raw), what), opts.maxBytes, tooBig);
  let headerInfo: Buffer | undefined;
  const scripts: string[] = [];
  const buckets = new Map<string, Buffer>();
  for await (const entry of readTar(content, innerTarMessages(what))) {
    const { name } = entry;
    if (entry.type === 'directory' && DIRECTORY.test(name)) continue;
    if (entry.type !== 'file' && entry.type !== 'contiguous-file') {
      throw new ArtifactError(`${what}: '${name}' is a ${entry.type}, not a regular file`);
    }
    if (headerInfo === undefined) {
      if (name !== 'header-info')
        throw new ArtifactError(`${what}: the first entry must be 'header-info', not '${name}'`);
      headerInfo = await collectBytes(entry.body, opts.maxBytes, tooBig);
      continue;
    }
    const script = SCRIPT.exec(name)?.[1];
    if (script !== undefined) {
      if (opts.augment) throw new ArtifactError(`${what}: scripts are not allowed in the augmented header`);
      if (buckets.size > 0)
        throw new ArtifactError(`${what}: '${name}' must come before the headers/ entries`);
      if (script === '.' || script === '..')
        throw new ArtifactError(`${what}: invalid script name '${name}'`);
      checkName(script, `${what}: script name`);
      if (scripts.includes(name)) throw new ArtifactError(`${what}: duplicate entry '${name}'`);
      if (scripts.length >= MAX_SCRIPTS)
        throw new ArtifactError(`${what} has more than ${MAX_SCRIPTS} scripts`);
      scripts.push(name);
      await drain(entry.body);
      continue;
    }
    if (!BUCKET_FILE.test(name)) throw new ArtifactError(`${what}: unexpected entry '${name}'`);
    if (buckets.has(name)) throw new ArtifactError(`${what}: duplicate entry '${name}'`);
    buckets.set(name, await collectBytes(entry.body, opts.maxBytes, tooBig));
  }
  if (headerInfo === undefined) throw new ArtifactError(`${what} has no header-info`);
  return { headerInfo, scripts, buckets };
};

const parseBuckets = (
  buckets: Map<string, Buffer>,
  payloadTypes: (string | null)[],
  what: string,
  version: 2 | 3,
): PayloadHeader[] => {
  const payloads: PayloadHeader[] = payloadTypes.map(() => ({}));
  for (const [name, text] of buckets) {
    const [, index, kind] = BUCKET_FILE.exec(name) as unknown as [string, string, string];
    const payload = payloads[Number(index)];
    if (!payload) throw new ArtifactError(`${what}: '${name}' has no matching payload in header-info`);
    const where = `${what}: ${name}`;
    if (kind === 'meta-data') payload.metaData = parseMetaData(text, where);
    else if (kind === 'files') {
      if (version === 3) throw new ArtifactError(`${where}: 'files' entries belong to version 2 artifacts`);
      payload.files = parseFilesList(text, where);
    } else if (version === 3) payload.typeInfo = parseTypeInfo(text, where);
    else parseJsonObject(text, where); // v2 type-info only repeats the type; Mender ignores it
  }
  if (version === 3) {
    payloads.forEach((payload, i) => {
      const bucket = `headers/${String(i).padStart(4, '0')}`;
      const declared = payloadTypes[i] ?? null;
      const own = payload.typeInfo?.type;
      // "" or null means "not stated": mender-artifact < 4.3.1 writes "" for rootfs-image.
      if (own !== undefined && own !== null && own !== '' && own !== declared) {
        throw new ArtifactError(
          `${what}: ${bucket}/type-info says type '${own}' but header-info says ${declared === null ? 'null' : `'${declared}'`}`,
        );
      }
    });
  }
  return payloads;
};

/** Reads `header.tar*` (already checked against the manifest) into header-info and buckets. */
export const readHeader = async (
  raw: Buffer,
  compression: Compression,
  what: string,
  opts: { version: 2 | 3; maxBytes: number },
): Promise<Header> => {
  const { headerInfo, scripts, buckets } = await readEntries(raw, compression, what, {
    ...opts,
    augment: false,
  });
  const info = parseHeaderInfo(headerInfo, opts.version);
  const payloads = parseBuckets(buckets, info.payloadTypes, what, opts.version);
  if (opts.version === 3) {
    payloads.forEach((payload, i) => {
      if (!payload.typeInfo) {
        throw new ArtifactError(`${what}: headers/${String(i).padStart(4, '0')}/type-info is missing`);
      }
    });
  }
  return { info, scripts, payloads };
};

/** Reads `header-augment.tar*` (v3 only; unsigned, so it may only add to the header). */
export const readAugmentHeader = async (
  raw: Buffer,
  compression: Compression,
  what: string,
  opts: { original: Header; maxBytes: number },
): Promise<AugmentHeader> => {
  const { headerInfo, buckets } = await readEntries(raw, compression, what, {
    maxBytes: opts.maxBytes,
    augment: true,
  });
  const originalTypes = opts.original.info.payloadTypes;
  const payloadTypes = parseAugmentHeaderInfo(headerInfo, `${what}: header-info`);
  if (payloadTypes.length !== originalTypes.length) {
    throw new ArtifactError(
      `${what}: header-info lists ${payloadTypes.length} payloads, header.tar has ${originalTypes.length}`,
    );
  }
  payloadTypes.forEach((type, i) => {
    if (type !== null && type !== '' && type !== originalTypes[i]) {
      throw new ArtifactError(
        `${what}: payload ${i} has type '${type}', the header has '${originalTypes[i]}'`,
      );
    }
  });
  const expected = payloadTypes.map((type, i) =>
    type === null || type === '' ? (originalTypes[i] ?? null) : type,
  );
  return { payloadTypes, payloads: parseBuckets(buckets, expected, what, 3) };
};

import { extract as createExtract, type Extract, type Header } from 'tar-stream';
import { ArtifactError, isArtifactError } from './artifact-error.js';
import { asBuffer, createZeroTail, waitForDrain } from './byte-streams.js';

export interface TarEntry {
  name: string;
  type: Header['type'];
  size: number;
  mtime: Date;
  /** The content. Read it to the end, or fail, before asking for the next entry. */
  body: AsyncIterable<Buffer>;
}

/** How errors about one archive are worded: the artifact itself, or a tar inside a member. */
export interface TarMessages {
  truncated: string;
  trailing: string;
  notTar: string;
  corrupt: (detail: string) => string;
}

export const outerTarMessages: TarMessages = {
  truncated: 'truncated artifact',
  trailing: 'trailing garbage after the end of the artifact',
  notTar: 'not a Mender artifact: not a tar archive',
  corrupt: (detail) => `corrupt artifact: ${detail}`,
};

export const innerTarMessages = (what: string): TarMessages => ({
  truncated: `truncated tar archive in ${what}`,
  trailing: `trailing garbage after the tar archive in ${what}`,
  notTar: `${what} does not contain a tar archive`,
  corrupt: (detail) => `corrupt tar archive in ${what}: ${detail}`,
});

/** Filled in while reading: bytes taken from the source so far. */
export interface TarStats {
  bytes: number;
}

type Source = Extract extends AsyncIterable<infer S> ? S : never;

const BLOCK = 512;
/** A tar archive ends with two zero blocks (GNU tar pads further, with zeros). */
const END_MARKER_BYTES = 2 * BLOCK;

const drain = async (body: AsyncIterable<unknown>): Promise<void> => {
  for await (const _chunk of body) {
    // discarded: the caller did not need this entry's content
  }
};

/**
 * tar-stream's own errors, in the archive's words. tar-stream reads on after the end-of-archive
 * marker (it skips zero blocks), so a failure there is appended data, not a broken archive.
 */
const describe = (
  error: unknown,
  messages: TarMessages,
  at: { entriesSeen: number; lastEntryEnd: number; tail: ReturnType<typeof createZeroTail> },
): ArtifactError => {
  const message = error instanceof Error ? error.message : String(error);
  const { entriesSeen, lastEntryEnd, tail } = at;
  const afterEndMarker =
    entriesSeen > 0 &&
    tail.total - lastEntryEnd >= END_MARKER_BYTES &&
    tail.isZero(lastEntryEnd, lastEntryEnd + END_MARKER_BYTES) !== false;
  if (message === 'Unexpected end of data') {
    return new ArtifactError(afterEndMarker ? messages.trailing : messages.truncated);
  }
  if (message.startsWith('Invalid tar header')) {
    if (afterEndMarker) return new ArtifactError(messages.trailing);
    return new ArtifactError(entriesSeen === 0 ? messages.notTar : messages.corrupt('invalid tar header'));
  }
  if (message === 'Header exceeds max size')
    return new ArtifactError(messages.corrupt('extended header too large'));
  return new ArtifactError(messages.corrupt(message.toLowerCase()));
};

/**
 * The entries of a tar archive read from `source`, with backpressure: the source is only pulled
 * as fast as the entries are consumed. On top of tar-stream this checks what it lets through:
 * the end-of-archive marker must be there (else the archive was cut at an entry boundary) and
 * nothing but zeros may follow it. An empty source yields no entries and passes; the caller
 * decides whether that is acceptable. Errors thrown by `source` come out unchanged.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
  messages: TarMessages,
  stats?: TarStats,
): AsyncGenerator<TarEntry> {
  const extract = createExtract();
  const tail = createZeroTail();
  const input = source[Symbol.asyncIterator]();
  let sourceFailure: { error: unknown } | undefined;
  let stopped = false;

  const feeding = (async () => {
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await input.next();
      } catch (error) {
        sourceFailure = { error };
        extract.destroy(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (stopped) return;
      if (step.done) {
        extract.end(undefined); // streamx's typings want an argument
        return;
      }
      const chunk = asBuffer(step.value);
      tail.observe(chunk);
      if (stats) stats.bytes = tail.total;
      if (!extract.write(chunk) && !(await waitForDrain(extract))) return;
    }
  })();

  let entriesSeen = 0;
  let lastEntryEnd = 0;
  let extractError: unknown;
  extract.on('error', (error) => {
    extractError ??= error;
  });
  const extractClosed = new Promise<void>((resolve) => extract.once('close', () => resolve()));
  const fail = async (error: unknown): Promise<unknown> => {
    // When the archive fails, tar-stream destroys the current entry with a bare "Stream was
    // destroyed"; the reason is the archive's own error, known once it has closed.
    if (!sourceFailure && !isArtifactError(error) && (extract.destroying || extract.destroyed))
      await extractClosed;
    if (sourceFailure) return sourceFailure.error;
    if (isArtifactError(error)) return error;
    return describe(extractError ?? error, messages, { entriesSeen, lastEntryEnd, tail });
  };
  async function* guard(entry: Source): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of entry) yield asBuffer(chunk as Uint8Array);
    } catch (error) {
      throw await fail(error);
    }
  }

  const entries = extract[Symbol.asyncIterator]();
  let completed = false;
  try {
    for (;;) {
      let step: IteratorResult<Source>;
      try {
        step = await entries.next();
      } catch (error) {
        throw await fail(error);
      }
      if (step.done) break;
      const entry = step.value;
      const { header } = entry;
      entriesSeen++;
      // `offset` is where the entry's own header block starts (after any pax/GNU long-name
      // blocks), so its data ends one block later plus the size rounded up to whole blocks.
      lastEntryEnd = entry.offset + BLOCK + Math.ceil(header.size / BLOCK) * BLOCK;
      yield {
        name: header.name,
        type: header.type,
        size: header.size,
        mtime: header.mtime,
        body: guard(entry),
      };
      try {
        await drain(entry);
      } catch (error) {
        throw await fail(error);
      }
    }
    await feeding;
    if (sourceFailure) throw sourceFailure.error;
    if (tail.total > 0) {
      if (tail.nonZeroEnd > lastEntryEnd) throw new ArtifactError(messages.trailing);
      if (tail.total - lastEntryEnd < END_MARKER_BYTES) throw new ArtifactError(messages.truncated);
    }
    completed = true;
  } finally {
    if (!completed) {
      stopped = true;
      extract.destroy();
      // Stop pulling from upstream; its own failure (if any) has been reported already.
      Promise.resolve(input.return?.()).catch(() => {});
    }
  }
}

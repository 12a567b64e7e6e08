import { ArtifactError } from './artifact-error.js';
import { type Compression, compressionForSuffix } from './decompress.js';

/** A member of the outer tar, by role. */
export type Member =
  | { kind: 'version' | 'manifest' | 'manifest.sig' | 'manifest-augment' }
  | { kind: 'header' | 'header-augment'; compression: Compression }
  | { kind: 'data'; index: number; compression: Compression };

/** Order of the outer tar (docs/compat/mender-artifacts.md#member-order); data members may repeat. */
const RANK: Record<Member['kind'], number> = {
  version: 0,
  manifest: 1,
  'manifest.sig': 2,
  'manifest-augment': 3,
  header: 4,
  'header-augment': 5,
  data: 6,
};

const COMPRESSED = /^(header|header-augment|data\/(\d{4}))\.tar((?:\.[^./]+)?)$/;

export const classifyMember = (name: string): Member => {
  if (name === 'version' || name === 'manifest' || name === 'manifest.sig' || name === 'manifest-augment') {
    return { kind: name };
  }
  const match = COMPRESSED.exec(name);
  if (!match) {
    if (name.startsWith('data/'))
      throw new ArtifactError(
        `invalid payload archive name '${name}' (expected data/NNNN.tar[.gz|.xz|.zst])`,
      );
    throw new ArtifactError(`unexpected file '${name}' in the artifact`);
  }
  const [, base, index, suffix] = match as unknown as [string, string, string | undefined, string];
  const compression = compressionForSuffix(suffix);
  if (!compression)
    throw new ArtifactError(`unsupported compression '${suffix}' of '${name}' (use none, .gz, .xz or .zst)`);
  if (index !== undefined) return { kind: 'data', index: Number(index), compression };
  return { kind: base as 'header' | 'header-augment', compression };
};

/**
 * Enforces the member order and which members a format version allows, as mender-artifact's
 * reader does (its artifactV3ParseGrammar), so that an artifact the device would refuse is
 * refused at upload.
 */
export const createMemberOrder = () => {
  const seen = new Map<Member['kind'], string>();
  let last: { kind: Member['kind']; name: string } | undefined;
  let version: 2 | 3 | undefined;
  return {
    setVersion(v: 2 | 3): void {
      version = v;
    },
    /** Checks that `name` may come next; call before reading it. */
    accept(member: Member, name: string): void {
      const { kind } = member;
      if (!last && kind !== 'version')
        throw new ArtifactError(`not a Mender artifact: first entry must be 'version', not '${name}'`);
      if (kind !== 'data' && seen.has(kind)) throw new ArtifactError(`duplicate '${name}' in the artifact`);
      if (last && RANK[kind] < RANK[last.kind])
        throw new ArtifactError(`misplaced '${name}': it must come before '${last.name}'`);
      if (version === 2 && (kind === 'manifest-augment' || kind === 'header-augment')) {
        throw new ArtifactError(`'${name}' is not allowed in a version 2 artifact`);
      }
      if (kind !== 'version' && kind !== 'manifest' && !seen.has('manifest')) {
        throw new ArtifactError(`'${name}' must come after 'manifest'`);
      }
      if (RANK[kind] > RANK.header && !seen.has('header')) {
        throw new ArtifactError(`'${name}' must come after the header (header.tar[.gz|.xz|.zst])`);
      }
      if (kind === 'header-augment') {
        if (!seen.has('manifest-augment')) throw new ArtifactError(`'${name}' requires 'manifest-augment'`);
        const header = seen.get('header') ?? '';
        // The reader's grammar only knows header and header-augment with the same suffix.
        if (name.slice('header-augment'.length) !== header.slice('header'.length)) {
          throw new ArtifactError(`'${name}' must use the same compression as '${header}'`);
        }
      }
      if (kind === 'data' && seen.has('manifest-augment') && !seen.has('header-augment')) {
        throw new ArtifactError(
          `'manifest-augment' requires a header-augment.tar[.gz|.xz|.zst] before '${name}'`,
        );
      }
      seen.set(kind, name);
      last = { kind, name };
    },
    /** Checks at the end of the artifact that nothing required is missing. */
    finish(): void {
      if (!last) throw new ArtifactError('not a Mender artifact: empty input');
      if (!seen.has('manifest')) throw new ArtifactError(`the artifact has no manifest`);
      if (!seen.has('header'))
        throw new ArtifactError(`the artifact has no header (header.tar[.gz|.xz|.zst])`);
      if (seen.has('manifest-augment') && !seen.has('header-augment')) {
        throw new ArtifactError(`'manifest-augment' requires a header-augment.tar[.gz|.xz|.zst]`);
      }
    },
  };
};

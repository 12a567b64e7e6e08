import { ArtifactError } from './artifact-error.js';

/**
 * Names a manifest may list (docs/compat/mender-artifacts.md#manifest). Anything else, including absolute
 * paths and `..`, is refused while parsing, before any of it is used as a key.
 */
const MANIFEST_NAME = /^(?:version|header(?:-augment)?\.tar(?:\.gz|\.xz|\.zst)?|data\/\d{4}\/[\w\-.,]+)$/;
const LINE = /^([0-9a-f]{64}) {2}(\S(?:.*\S)?)$/;

/**
 * The checksums of `manifest` and `manifest-augment`, and which of them the artifact has
 * delivered so far. Every entry must be seen exactly once by the end (Mender's reader fails
 * with "Files found in manifest(s), that were not part of artifact" otherwise).
 */
export const createChecksumStore = () => {
  const expected = new Map<string, string>();
  const seen = new Set<string>();
  return {
    /** Adds the lines of one manifest file. */
    add(text: Buffer, member: 'manifest' | 'manifest-augment'): void {
      const lines = text.toString('utf8').split('\n');
      lines.forEach((raw, i) => {
        const line = raw.trim();
        if (line === '') return;
        const match = LINE.exec(line);
        if (!match) throw new ArtifactError(`${member}: line ${i + 1} is not '<sha256>  <name>'`);
        const [, checksum, name] = match as unknown as [string, string, string];
        if (!MANIFEST_NAME.test(name) || name.endsWith('/.') || name.endsWith('/..')) {
          throw new ArtifactError(`${member}: invalid file name '${name}'`);
        }
        if (expected.has(name)) throw new ArtifactError(`${member}: duplicate entry for '${name}'`);
        expected.set(name, checksum);
      });
    },
    has(name: string): boolean {
      return expected.has(name);
    },
    /** Marks `name` as delivered and checks its checksum. */
    verify(name: string, actual: string): void {
      const want = expected.get(name);
      if (want === undefined) throw new ArtifactError(`the manifest has no checksum for '${name}'`);
      if (seen.has(name)) throw new ArtifactError(`duplicate '${name}' in the artifact`);
      seen.add(name);
      if (want !== actual) throw new ArtifactError(`manifest checksum mismatch for ${name}`);
    },
    /** Entries the artifact never delivered. */
    missing(): string[] {
      return [...expected.keys()].filter((name) => !seen.has(name));
    },
  };
};

export type ChecksumStore = ReturnType<typeof createChecksumStore>;

import { ArtifactError } from './artifact-error.js';
import type { ArtifactFile, ArtifactMeta, ArtifactUpdate } from './artifact-types.js';
import type { AugmentHeader, Header } from './header-reader.js';

/** Adds `extra` to `into`; a key set by two sources fails, as in Mender's MergeArtifactProvides/Depends. */
const mergeStrict = <T>(
  into: Record<string, T>,
  extra: Record<string, T>,
  field: string,
  where: string,
): void => {
  for (const [key, value] of Object.entries(extra)) {
    if (Object.hasOwn(into, key)) {
      throw new ArtifactError(
        `conflicting ${field} key '${key}' in ${where} (already set by header-info or another payload)`,
      );
    }
    into[key] = value;
  }
};

/**
 * The server's view of a parsed artifact. Per payload, the augmented header (unsigned, written
 * for delta updates) overrides the original key by key; across header-info and payloads a key
 * may be set only once.
 */
export const buildArtifactMeta = (p: {
  version: 2 | 3;
  header: Header;
  augment: AugmentHeader | undefined;
  files: (ArtifactFile[] | undefined)[];
  signed: boolean;
  size: number;
}): ArtifactMeta => {
  const { info } = p.header;
  const provides: Record<string, string> = { ...info.provides };
  const depends: Record<string, string[]> = { ...info.depends };
  const clearsProvides: string[] = [];
  const updates: ArtifactUpdate[] = info.payloadTypes.map((type, i) => {
    const original = p.header.payloads[i] ?? {};
    const augmented = p.augment?.payloads[i] ?? {};
    const where = `headers/${String(i).padStart(4, '0')}/type-info`;
    mergeStrict(
      provides,
      { ...original.typeInfo?.provides, ...augmented.typeInfo?.provides },
      'artifact_provides',
      where,
    );
    mergeStrict(
      depends,
      { ...original.typeInfo?.depends, ...augmented.typeInfo?.depends },
      'artifact_depends',
      where,
    );
    clearsProvides.push(...(augmented.typeInfo?.clearsProvides ?? original.typeInfo?.clearsProvides ?? []));
    return {
      typeInfo: { type },
      files: p.files[i] ?? [],
      metadata: { ...original.metaData, ...augmented.metaData },
    };
  });
  return {
    name: info.name,
    deviceTypesCompatible: info.deviceTypes,
    info: { format: 'mender', version: p.version },
    signed: p.signed,
    provides,
    depends,
    clearsProvides,
    updates,
    size: p.size,
  };
};

/**
 * Mender Artifact parsing and validation (docs/compat/mender-artifacts.md): the only file other
 * modules import from this directory.
 */
export { ArtifactError } from './artifact-error.js';
export type { ArtifactMeta } from './artifact-types.js';
export { parseArtifact } from './parse-artifact.js';

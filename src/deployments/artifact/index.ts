/**
 * Mender Artifact parsing and validation (spec/mender-api.md §5.1): the only file other
 * modules import from this directory.
 */
export { ArtifactError } from './artifact-error.js';
export type { ArtifactFile, ArtifactMeta, ArtifactUpdate } from './artifact-types.js';
export { parseArtifact } from './parse-artifact.js';

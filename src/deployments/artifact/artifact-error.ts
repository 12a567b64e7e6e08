/**
 * A problem with the uploaded artifact itself. The message is shown to the uploader (the
 * upload route answers 400 with it), so it names the member or file at fault.
 */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
}

export const isArtifactError = (e: unknown): e is ArtifactError => e instanceof ArtifactError;

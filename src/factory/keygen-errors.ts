/**
 * A keygen input that cannot work (a template, an option, an output directory). Thrown before
 * any key is generated where possible; the CLI prints the message as one line.
 */
export class KeygenError extends Error {
  override readonly name = 'KeygenError';
}

/**
 * Which dropped files are the manifest and its detached signature (docs/factory-manifests.md):
 * the signature of `line-1.jsonl` is `line-1.jsonl.sig`, and the format comes from the name.
 */

export type ManifestFormat = 'jsonl' | 'csv';

export const formatOfName = (name: string): ManifestFormat | null => {
  const lower = name.toLowerCase();
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  if (lower.endsWith('.csv')) return 'csv';
  return null;
};

const isSignature = (name: string) => name.toLowerCase().endsWith('.sig');

export const signatureNameOf = (manifestName: string) => `${manifestName}.sig`;

export interface ManifestPick<F extends { name: string }> {
  manifest: F | null;
  signature: F | null;
}

export interface PickOutcome<F extends { name: string }> extends ManifestPick<F> {
  /** Why nothing changed (the drop was refused). */
  problem: string | null;
  /** Things to check, the drop was taken anyway. */
  notes: string[];
}

/**
 * The selection after files are dropped (or chosen) on top of `current`. A new manifest replaces
 * the old one and takes the signature dropped with it, or the held one when it is named for it;
 * a signature alone attaches to the held manifest (or waits for one).
 */
export const pickManifestFiles = <F extends { name: string }>(
  current: ManifestPick<F>,
  dropped: readonly F[],
): PickOutcome<F> => {
  const manifests = dropped.filter((f) => formatOfName(f.name) !== null);
  const signatures = dropped.filter((f) => isSignature(f.name));
  const others = dropped.filter((f) => formatOfName(f.name) === null && !isSignature(f.name));
  const refuse = (problem: string): PickOutcome<F> => ({ ...current, problem, notes: [] });

  if (manifests.length > 1)
    return refuse(`Drop one manifest at a time (${manifests.map((f) => f.name).join(', ')}).`);
  if (manifests.length === 0 && signatures.length === 0)
    return refuse(
      others.length === 1
        ? `${others[0]?.name} is not a manifest: its name must end in .jsonl or .csv (and its signature's in .sig).`
        : 'None of these files is a manifest: a manifest’s name ends in .jsonl or .csv, its signature’s in .sig.',
    );

  const manifest = manifests[0] ?? current.manifest;
  const expected = manifest ? signatureNameOf(manifest.name) : null;
  let signature: F | null;
  if (signatures.length > 0) {
    const named = signatures.find((s) => s.name === expected);
    if (!named && signatures.length > 1)
      return refuse(
        `Which signature is it? ${signatures.map((s) => s.name).join(', ')}${expected ? ` (expected ${expected})` : ''}.`,
      );
    signature = named ?? signatures[0] ?? null;
  } else if (manifests.length > 0) {
    // A new manifest keeps the held signature only if it is named for it.
    signature = current.signature?.name === expected ? current.signature : null;
  } else signature = current.signature;

  const notes: string[] = [];
  if (manifest && signature && signature.name !== expected)
    notes.push(
      `The signature file is ${signature.name}, not ${expected}: make sure it belongs to this manifest (the server checks it either way).`,
    );
  if (!manifest && signature) notes.push(`${signature.name} is held: now add the manifest it signs.`);
  for (const f of others) notes.push(`${f.name} is neither a manifest nor a signature: it was left out.`);
  return { manifest, signature, problem: null, notes };
};

/** Signatures longer than this are refused by the server (its header limit). */
export const MAX_SIGNATURE_CHARS = 4096;

/** The .sig file's text as the signature header wants it: one line of base64. */
export const parseSignature = (text: string): { value: string } | { error: string } => {
  const value = text.replace(/\s+/g, '');
  if (!value) return { error: 'the signature file is empty' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0)
    return { error: 'the signature file is not one line of base64 (as `base64 -w0` writes it)' };
  if (value.length > MAX_SIGNATURE_CHARS)
    return { error: `the signature is longer than ${MAX_SIGNATURE_CHARS} characters` };
  return { value };
};

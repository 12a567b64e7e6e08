import { sha256Hex } from '../core/hash.js';
import type { AttributeValue } from './inventory-repo.js';

// Tags (the `tags` scope) are guarded by an ETag for If-Match
// (docs/compat/mender-management.md#inventory-v1-filters). Mender stores a random
// ETag per change; ours is a digest of the tags' content, which needs no storage and gives the
// same answer to the same state.

export type Tag = { name: string; value: AttributeValue; description: string | null };

/** Strong ETag of a device's tags: a digest of their content, so equal tags give equal ETags. */
export const tagsEtag = (tags: Tag[]): string | undefined => {
  if (tags.length === 0) return undefined;
  const sorted = [...tags]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((t) => [t.name, t.value, t.description ?? null]);
  return `"${sha256Hex(JSON.stringify(sorted)).slice(0, 32)}"`;
};

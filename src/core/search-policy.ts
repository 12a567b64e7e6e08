/**
 * The largest tenant (in devices) in which device searches also match identity and inventory
 * values that merely contain the search text. Such a match reads every value of the tenant (no
 * index answers "contains"); up to this size that stays within tens of milliseconds. In larger
 * tenants a value matches when it starts with the text, a range of an index (migration 0012).
 * docs/console-api.md, docs/adr/0018-device-scale.md.
 */
export const SUBSTRING_SEARCH_MAX_DEVICES = 10_000;

/** How search texts matched attribute values: their start, or any part. */
export type SearchMatch = 'prefix' | 'substring';

/**
 * How a page of a filtered device list is read, when the filter selects sets of ids (a search, a
 * group, a tag): from the ids, each device looked up by key and the matches sorted (`ids`: cost
 * grows with the matches), or along the tenant's index in list order, each device tested against
 * the sets until the page is full (`index`: cost grows with the devices passed over, about
 * `position × indexRows / matches`). SQLite plans without statistics and cannot tell the two
 * apart; the exact count, known before the page is read, can. A key lookup costs about ten index
 * steps.
 */
export const pageReadOrder = (matches: number, indexRows: number, position: number): 'ids' | 'index' =>
  matches > 0 && (position * indexRows) / matches <= 10 * matches ? 'index' : 'ids';

/**
 * Bounds on what the parser buffers or accepts. Payloads are streamed and never counted here;
 * these only cap the small members, so that a hostile upload cannot make the server hold
 * unbounded memory.
 */
export const DEFAULT_MAX_HEADER_BYTES = 10 * 1024 * 1024;
export const MAX_VERSION_BYTES = 4 * 1024;
export const MAX_MANIFEST_BYTES = 1024 * 1024;
export const MAX_SIGNATURE_BYTES = 64 * 1024;

/** mender-artifact's own limit for names (utils.ValidateString: 256 bytes, printable). */
export const MAX_NAME_BYTES = 256;
/** docs/compat/mender-artifacts.md#limits: device_types_compatible has 1..200 entries. */
export const MAX_DEVICE_TYPES = 200;
/**
 * The Mender client installs one payload; version 2 allowed several. A small cap keeps the
 * per-payload bookkeeping bounded.
 */
export const MAX_PAYLOADS = 16;
export const MAX_SCRIPTS = 256;
/** Entries per provides / depends map, per list, and the size of one value. */
export const MAX_MAP_ENTRIES = 256;
export const MAX_LIST_ENTRIES = 256;
export const MAX_VALUE_BYTES = 4096;

export { startStorageJanitor } from './blob-janitor.js';
export type { BlobStore } from './blob-store.js';
export { createFsBlobStore } from './fs-blob-store.js';

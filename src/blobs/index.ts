export { startStorageJanitor } from './blob-janitor.js';
export { type BlobStore, type BlobWriter, isSafeBlobKey } from './blob-store.js';
export { createFsBlobStore } from './fs-blob-store.js';

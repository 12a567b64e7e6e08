export { createFailureGuard, type FailureGuard, type FailureKeys } from './failure-guard.js';
export type { FailurePolicy } from './failure-policy.js';
export { sourceKey } from './source-address.js';
export { createTokenBuckets, type TokenBuckets } from './token-bucket.js';

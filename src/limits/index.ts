export {
  createFailureGuard,
  type FailureGuard,
  type FailureKeys,
  type FailurePolicies,
} from './failure-guard.js';
export { afterFailure, type FailurePolicy, type FailureState, retryAfterSeconds } from './failure-policy.js';
export { sourceKey } from './source-address.js';
export { createTokenBuckets, type TokenBuckets } from './token-bucket.js';

export { KeygenError } from './keygen-errors.js';
export { type KeyType, keyTypes, type ManifestFormat, manifestFormats } from './keygen-plan.js';
export { type KeygenRunOptions, type KeygenSummary, runKeygen } from './keygen-run.js';
export {
  buildPlan,
  DEFAULT_RSA_BITS,
  type KeygenOptions,
  MAX_COUNT,
  MAX_RSA_BITS,
  MIN_RSA_BITS,
} from './keygen-validate.js';
export * from './manifest-signature.js';

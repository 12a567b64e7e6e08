import { createHash, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');

/** Constant-time equality for secrets of possibly different lengths (compares digests). */
export const safeEqual = (a: string | Uint8Array, b: string | Uint8Array): boolean => {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
};

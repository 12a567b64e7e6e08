import { type JWK, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../core/clock.js';
import { createExpiringLru, createLru, NO_OPTIONS } from '../core/lru.js';
import type { SigningKey } from './signing-keys.js';

/**
 * Signs and verifies Gatehouse's JWTs (device tokens, user tokens, tenant tokens).
 *
 * Verified signatures are cached by token string until the token expires, so a polling device
 * costs no crypto after its first request. The cache only remembers that a signature is good;
 * whether the token is still *valid* (not revoked, auth set still accepted) is decided by a
 * database read on every request, so caching adds no revocation delay
 * (docs/adr/0004-token-revocation.md).
 */
export interface TokenKit {
  sign(claims: JWTPayload & { sub: string; jti: string }, expiresAtMs?: number): Promise<string>;
  /** The claims of a well-signed, unexpired token of this issuer, or null. */
  verify(token: string): Promise<JWTPayload | null>;
  jwks(): { keys: JWK[] };
}

export interface TokenKitOptions {
  keys: SigningKey[];
  issuer: string;
  clock: Clock;
  /** Verified signatures remembered (least recently used forgotten first); 0: none. */
  cacheSize?: number;
  /** Fetches the current key list when a token names a kid this process has not seen. */
  reloadKeys?: () => Promise<SigningKey[]>;
}

export const MAX_TOKEN_LENGTH = 4096;
const GLOBAL_RELOAD_INTERVAL_MS = 1_000;
const KID_RELOAD_INTERVAL_MS = 10_000;
/** Unknown kids whose reload time is remembered; a flood of forged kids forgets the oldest. */
const KIDS_TRIED_KEPT = 10_000;

export const createTokenKit = (opts: TokenKitOptions): TokenKit => {
  let keys = opts.keys;
  if (keys.length === 0) throw new Error('no signing key');
  let byKid = new Map(keys.map((k) => [k.kid, k]));
  const cacheSize = opts.cacheSize ?? 100_000;
  // Each entry lives until its token expires (on the injected clock), or until it is the least
  // recently used one when the cache is full.
  const cache = cacheSize > 0 ? createExpiringLru<string, JWTPayload>(cacheSize, opts.clock) : undefined;

  // A kid this process has not seen may be a key another process just created: reload the key
  // list, at most once a second overall and once per 10 s per kid, so forged kids can neither
  // flood the database nor starve a genuine new kid of its reload.
  const lastTryByKid = createLru<string, number>(KIDS_TRIED_KEPT);
  let lastReloadMs = 0;
  const keyFor = async (kid: string | undefined): Promise<SigningKey | undefined> => {
    if (!kid || kid.length > 128) return undefined;
    const k = byKid.get(kid);
    if (k || !opts.reloadKeys) return k;
    const now = opts.clock.nowMs();
    if (now - lastReloadMs < GLOBAL_RELOAD_INTERVAL_MS) return undefined;
    if (now - (lastTryByKid.get(kid) ?? 0) < KID_RELOAD_INTERVAL_MS) return undefined;
    lastTryByKid.set(kid, now);
    lastReloadMs = now;
    try {
      keys = await opts.reloadKeys();
    } catch (e) {
      // Not tried after all: the kid may be retried once the database answers again.
      lastTryByKid.delete(kid);
      throw e;
    }
    byKid = new Map(keys.map((x) => [x.kid, x]));
    return byKid.get(kid);
  };

  return {
    async sign(claims, expiresAtMs) {
      const signer = keys[0] as SigningKey;
      const nowS = Math.floor(opts.clock.nowMs() / 1000);
      const jwt = new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT', kid: signer.kid })
        .setIssuer(opts.issuer)
        .setIssuedAt(nowS);
      if (expiresAtMs !== undefined) jwt.setExpirationTime(Math.floor(expiresAtMs / 1000));
      return jwt.sign(signer.privateKey);
    },

    async verify(token) {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
      const hit = cache?.get(token, NO_OPTIONS);
      if (hit) return hit;
      const now = opts.clock.nowMs();
      // A key reload that fails (the database does not answer) is not a bad token: it propagates.
      let reloadFailure: { error: unknown } | undefined;
      try {
        const { payload } = await jwtVerify(
          token,
          async (header) => {
            let k: SigningKey | undefined;
            try {
              k = await keyFor(header.kid);
            } catch (error) {
              reloadFailure = { error };
              throw error;
            }
            if (!k) throw new joseErrors.JWKSNoMatchingKey();
            return k.publicKey;
          },
          { algorithms: ['EdDSA'], issuer: opts.issuer, currentDate: new Date(now) },
        );
        if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') return null;
        // Stale from the token's expiry on, as jose refuses it (lru-cache's entries go stale once
        // their age exceeds `ttl`). A token without `exp` stays until it is the least recently used.
        const ttl = payload.exp === undefined ? 0 : Math.floor(payload.exp * 1000 - now) - 1;
        if (payload.exp === undefined) cache?.set(token, payload, NO_OPTIONS);
        else if (ttl > 0) cache?.set(token, payload, { ttl, start: now });
        return payload;
      } catch {
        if (reloadFailure) throw reloadFailure.error;
        // Whatever else fails here is the token (malformed, forged, expired, wrong issuer).
        return null;
      }
    },

    jwks: () => ({ keys: keys.map((k) => k.publicJwk) }),
  };
};

import type { Clock } from '../core/clock.js';
import { createLru, NO_OPTIONS } from '../core/lru.js';
import type { Store } from '../store/store.js';
import { type KnownAuthSet, prepareKnownAuthSetLookup } from './devauth-repo-known.js';

export interface IssuedToken {
  jti: string;
  expiresAt: number;
  token: string;
  authSetId: string;
}

export interface FoundAuthSet extends Omit<KnownAuthSet, 'liveToken'> {
  /** The young token this process handed the auth set, still live in the database; else undefined. */
  reusableToken: string | undefined;
}

/**
 * The auth sets auth requests name, with the young tokens handed to them (ADR 4, "Young tokens").
 * A device that authenticates again while its last token is young gets that token back: no
 * signing and no write. Whether the token may be handed out again is read in the same statement
 * as the auth set, so a revoked or killed token is never handed out again, on any process.
 * Tokens past half their lifetime are not reused. Per process and bounded.
 */
export interface KnownAuthSets {
  find(tenantId: string, identitySha256: string, pubkeySha256: string): Promise<FoundAuthSet | undefined>;
  /** Remembers a token just issued (its row committed) for the auth set of that identity and key. */
  remember(tenantId: string, identitySha256: string, pubkeySha256: string, issued: IssuedToken): void;
}

export const createKnownAuthSets = (deps: {
  store: Store;
  clock: Clock;
  deviceTokenTtlSeconds: number;
  /** Young tokens remembered (one per auth set; the least recently used goes first). */
  maxTokens: number;
}): KnownAuthSets => {
  const lookup = prepareKnownAuthSetLookup(deps.store);
  // No TTL: an entry past half its token's lifetime is dropped by the next find() that meets it.
  const recent = createLru<string, IssuedToken>(deps.maxTokens);
  const keyOf = (tenantId: string, identitySha256: string, pubkeySha256: string) =>
    `${tenantId}\n${identitySha256}\n${pubkeySha256}`;
  const halfLifeMs = (deps.deviceTokenTtlSeconds * 1000) / 2;

  return {
    async find(tenantId, identitySha256, pubkeySha256) {
      const key = keyOf(tenantId, identitySha256, pubkeySha256);
      const hit = recent.get(key, NO_OPTIONS);
      const nowMs = deps.clock.nowMs();
      const young = hit && hit.expiresAt - nowMs > halfLifeMs ? hit : undefined;
      const known = await lookup(tenantId, identitySha256, pubkeySha256, young?.jti, nowMs);
      const reusable =
        known?.status === 'accepted' && young && known.liveToken && young.authSetId === known.authSetId;
      // Not reusable any more (revoked, old, another auth set): forget it, unless replaced meanwhile.
      if (hit && !reusable && recent.peek(key, NO_OPTIONS) === hit) recent.delete(key);
      if (!known) return undefined;
      return {
        deviceId: known.deviceId,
        authSetId: known.authSetId,
        status: known.status,
        reusableToken: reusable ? young.token : undefined,
      };
    },
    remember(tenantId, identitySha256, pubkeySha256, issued) {
      const key = keyOf(tenantId, identitySha256, pubkeySha256);
      recent.set(key, issued, NO_OPTIONS);
    },
  };
};

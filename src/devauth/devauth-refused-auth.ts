import { CACHE_BOUNDS } from '../config/cache-bounds.js';
import type { Clock } from '../core/clock.js';
import { sha256Hex } from '../core/hash.js';
import { createOncePerWindow } from '../core/once-per-window.js';
import { recordEvent } from '../events/index.js';
import { createTokenBuckets, sourceKey } from '../limits/index.js';
import type { Db } from '../store/store.js';
import type { TenantsService } from '../tenants/index.js';
import type { CanonicalIdentity } from './identity.js';

/** The same token from the same source is recorded at most once per window and process. */
export const AUTH_REFUSED_WINDOW_MS = 10 * 60_000;
/** Events per source address, and per audit log, per minute and process (floods of random tokens). */
export const AUTH_REFUSED_PER_SOURCE_PER_MINUTE = 1;
export const AUTH_REFUSED_PER_TENANT_PER_MINUTE = 10;
/** Hex digits of the token's SHA-256 in the event: enough to tell tokens apart, not to rebuild one. */
export const TOKEN_HASH_PREFIX_LENGTH = 12;

/**
 * `device.auth_refused`: an auth request whose tenant token names no current tenant, which
 * otherwise leaves no trace an operator sees (the device gets Mender's plain 401). The event goes
 * to the audit log of the tenant a replaced token of ours names, else to the default tenant's
 * (docs/adr/0002-tenancy.md). It never carries the token: a short prefix of its SHA-256 tells
 * tokens apart. Rate-limited in memory, per process: once per token and source address per
 * window, and at most a few per minute per source address and per audit log.
 */
export const createRefusedAuthRecorder = (deps: {
  db: Db;
  clock: Clock;
  tenants: Pick<TenantsService, 'refusedTenantToken'>;
}) => {
  const firstTime = createOncePerWindow(AUTH_REFUSED_WINDOW_MS, CACHE_BOUNDS.refusedAuthKeys);
  const perSource = createTokenBuckets({
    perMinute: AUTH_REFUSED_PER_SOURCE_PER_MINUTE,
    maxKeys: CACHE_BOUNDS.refusedAuthKeys,
  });
  const perTenant = createTokenBuckets({
    perMinute: AUTH_REFUSED_PER_TENANT_PER_MINUTE,
    maxKeys: CACHE_BOUNDS.refusedAuthKeys,
  });

  return async (
    req: { tenantToken: string; identity: CanonicalIdentity },
    sourceAddress: string | undefined,
  ) => {
    const nowMs = deps.clock.nowMs();
    const source = sourceKey(sourceAddress);
    const tokenHash = sha256Hex(req.tenantToken).slice(0, TOKEN_HASH_PREFIX_LENGTH);
    // The limits that need no tenant come first, so that a flood of made-up tokens costs no
    // token verification and no read beyond the refusal itself.
    if (!firstTime(`${source}\n${tokenHash}`, nowMs) || perSource.take(source, nowMs) !== null) return;
    const { tenantId, reason } = await deps.tenants.refusedTenantToken(req.tenantToken);
    if (perTenant.take(tenantId, nowMs) !== null) return;
    await recordEvent(deps.db, {
      tenantId,
      type: 'device.auth_refused',
      payload: {
        reason,
        tenant_token_sha256_prefix: tokenHash,
        source_address: sourceAddress ?? null,
        identity_data: req.identity.attributes,
      },
      nowMs,
    });
  };
};

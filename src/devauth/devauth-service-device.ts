import { CACHE_BOUNDS } from '../config/cache-bounds.js';
import type { Clock } from '../core/clock.js';
import { isAppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { createOncePerWindow } from '../core/once-per-window.js';
import { recordEvent } from '../events/index.js';
import { isConcurrencyConflict, retryOnConflict } from '../store/conflicts.js';
import type { Store } from '../store/store.js';
import { tenantErrors } from '../tenants/index.js';
import type { TokenKit } from '../tokens/token-kit.js';
import { type VerifiedAuthRequest, verifyAuthRequest } from './auth-request.js';
import type { CheckInRecorder } from './check-in-recorder.js';
import { devauthErrors } from './devauth-errors.js';
import { createKnownAuthSets, type FoundAuthSet } from './devauth-known-auth-sets.js';
import type { NewDeviceLimits } from './devauth-limits.js';
import { newDevice, newPendingAuthSet } from './devauth-records.js';
import { createRefusedAuthRecorder } from './devauth-refused-auth.js';
import {
  countAuthSets,
  findAuthSetByDeviceKey,
  findDevicesWithKey,
  insertAuthSetIfAbsent,
} from './devauth-repo-authsets.js';
import {
  findDeviceByIdentity,
  insertDeviceIfAbsent,
  lockDevice,
  setDeviceCheckIn,
} from './devauth-repo-devices.js';
import { insertDeviceToken, prepareLiveTokenLookup } from './devauth-repo-tokens.js';
import { createCertificateAuth } from './devauth-service-certificate.js';
import { acceptWithLimit, recomputeDeviceStatus } from './devauth-transitions.js';
import {
  type CertificateAdmission,
  type DevauthContext,
  type DeviceHooks,
  type DevicePrincipal,
  MAX_AUTH_SETS_PER_DEVICE,
  noDeviceHooks,
  type PresentedCertificate,
  type TenantTokens,
} from './devauth-types.js';
import { createIdDataParser } from './identity.js';
import { createDevicePublicKeyParser } from './pubkey.js';

/** A key collision is recorded at most once per key and window per process (devices retry every minute or so). */
const COLLISION_EVENT_WINDOW_MS = 10 * 60_000;

export interface DeviceAuthService {
  /** Handles POST auth_requests: returns the device token, or throws (401 for every not-admitted case). */
  authenticate(input: {
    body: Buffer;
    signature: string | undefined;
    bearer: string | undefined;
    /**
     * The client certificate of the request (TLS handshake or trusted proxy), verified for a
     * tenant (or, without one, for whichever tenant's CA it chains to); null when none.
     */
    clientCertificate?: (tenantHint: string | undefined) => Promise<PresentedCertificate | null>;
    /** The client address (`req.ip`), which the limits on unknown identities count against. */
    sourceAddress?: string;
  }): Promise<string>;
  /** The principal behind a device token, or null if it is not (or no longer) valid. */
  checkToken(token: string): Promise<DevicePrincipal | null>;
}

export const createDeviceAuthService = (deps: {
  store: Store;
  clock: Clock;
  tokens: Pick<TokenKit, 'sign' | 'verify'>;
  tenants: TenantTokens;
  deviceTokenTtlSeconds: number;
  checkIns: CheckInRecorder;
  hooks?: DeviceHooks;
  certificates?: CertificateAdmission;
  /** Rates and the pending cap for unknown identities (docs/limits.md); none: unlimited. */
  limits?: NewDeviceLimits;
}): DeviceAuthService => {
  const { store, clock, tokens, tenants, checkIns } = deps;
  const ctx: DevauthContext = { store, hooks: deps.hooks ?? noDeviceHooks };
  const db = store.db;
  const findLiveDeviceToken = prepareLiveTokenLookup(store);
  const recordRefusedAuth = createRefusedAuthRecorder({ db: store.db, clock, tenants });

  /** The tenant a token names; an unknown one is refused (401) and leaves a rate-limited event. */
  const tenantOf = async (req: VerifiedAuthRequest, sourceAddress: string | undefined) => {
    try {
      return await tenants.resolveTenantToken(req.tenantToken);
    } catch (e) {
      if (isAppError(e) && e.code === tenantErrors.badTenantToken().code)
        await recordRefusedAuth(req, sourceAddress);
      throw e;
    }
  };
  const knownAuthSets = createKnownAuthSets({
    store,
    clock,
    deviceTokenTtlSeconds: deps.deviceTokenTtlSeconds,
    maxTokens: CACHE_BOUNDS.youngDeviceTokens,
  });
  const parsers = {
    idData: createIdDataParser(CACHE_BOUNDS.deviceIdentities),
    publicKey: createDevicePublicKeyParser(CACHE_BOUNDS.devicePublicKeys),
  };
  const firstCollision = createOncePerWindow(COLLISION_EVENT_WINDOW_MS, CACHE_BOUNDS.keyCollisionKeys);

  const issue = async (tenantId: string, deviceId: string, authSetId: string) => {
    const jti = newId();
    const expiresAt = clock.nowMs() + deps.deviceTokenTtlSeconds * 1000;
    const token = await tokens.sign(
      {
        sub: deviceId,
        jti,
        'mender.device': true,
        'mender.tenant': tenantId,
        'mender.plan': 'enterprise',
        'mender.trial': false,
      },
      expiresAt,
    );
    return { jti, expiresAt, token, authSetId };
  };

  /**
   * One attempt of recordPending: `full` when the tenant is at its pending cap (nothing
   * recorded), the device holding the key when it is another's, else `recorded` (or nothing to
   * record: the auth set exists, or the device has too many).
   */
  type PendingOutcome = 'recorded' | 'full' | { holder: string };
  const recordPendingOnce = async (tenantId: string, req: VerifiedAuthRequest) => {
    const nowMs = clock.nowMs();
    return db.transaction().execute(async (tx): Promise<PendingOutcome> => {
      // First in the transaction: the cap check takes the tenant's lock (docs/limits.md).
      if (deps.limits && !(await deps.limits.hasRoom(tx, tenantId, nowMs))) return 'full';
      const known = await findDeviceByIdentity(tx, tenantId, req.identity.sha256);
      const [holder] = await findDevicesWithKey(tx, tenantId, req.pubkey.sha256, known?.id);
      if (holder) return { holder };
      await insertDeviceIfAbsent(tx, newDevice(newId(), tenantId, req.identity, nowMs));
      const found = await findDeviceByIdentity(tx, tenantId, req.identity.sha256);
      const device = found && (await lockDevice(tx, tenantId, found.id));
      if (!device) return 'recorded';
      if (await findAuthSetByDeviceKey(tx, device.id, req.pubkey.sha256)) return 'recorded';
      if ((await countAuthSets(tx, device.id)) >= MAX_AUTH_SETS_PER_DEVICE) return 'recorded';
      const authSetId = newId();
      const inserted = await insertAuthSetIfAbsent(
        tx,
        newPendingAuthSet(authSetId, device, req.pubkey, nowMs),
      );
      if (!inserted) return 'recorded';
      await recomputeDeviceStatus(ctx, tx, device, nowMs);
      await recordEvent(tx, {
        tenantId,
        type: 'device.authset_pending',
        deviceId: device.id,
        payload: {
          auth_set_id: authSetId,
          identity_data: req.identity.attributes,
          key_type: req.pubkey.type,
        },
        nowMs,
      });
      return 'recorded';
    });
  };

  /**
   * Records the request as a pending auth set (creating the device for a new identity). A key
   * that another device of the tenant holds is not recorded (one device per key,
   * auth_sets_tenant_key_uq): the request gets the usual 401, and the operator a
   * device.key_collision event on the holder, at most once per key and window.
   */
  const recordPending = async (tenantId: string, req: VerifiedAuthRequest) => {
    let outcome: PendingOutcome;
    try {
      // A concurrent request recording the same key under another identity wins at the unique
      // index; the next attempt sees its auth set and stops at the holder check.
      outcome = await retryOnConflict(() => recordPendingOnce(tenantId, req));
    } catch (e) {
      // Still racing after the bounded retries: nothing recorded, the device asks again.
      if (isConcurrencyConflict(e)) return;
      throw e;
    }
    if (outcome === 'full' && deps.limits) throw deps.limits.pendingCapReached();
    if (typeof outcome === 'string' || !firstCollision(`${tenantId}\n${req.pubkey.sha256}`, clock.nowMs()))
      return;
    await recordEvent(db, {
      tenantId,
      type: 'device.key_collision',
      deviceId: outcome.holder,
      payload: { identity_data: req.identity.attributes, key_type: req.pubkey.type },
      nowMs: clock.nowMs(),
    });
  };

  /**
   * Token for an auth set that is accepted or preauthorized (a preauthorized one is accepted
   * now). Young tokens are handed out again without signing or writing.
   */
  const tokenForKnown = async (
    tenantId: string,
    found: FoundAuthSet,
    identitySha256: string,
    pubkeySha256: string,
  ): Promise<string> => {
    if (found.status !== 'accepted' && found.status !== 'preauthorized') {
      throw devauthErrors.unauthorized(`auth set is ${found.status}`);
    }
    if (found.reusableToken !== undefined) {
      checkIns.record(found.deviceId, clock.nowMs());
      return found.reusableToken;
    }
    // Sign before the transaction (docs/principles.md#short-transactions); the token only becomes
    // valid once its row commits.
    const issued = await issue(tenantId, found.deviceId, found.authSetId);
    const admit = () =>
      db.transaction().execute(async (tx) => {
        const nowMs = clock.nowMs();
        const device = await lockDevice(tx, tenantId, found.deviceId);
        const authSet = device && (await findAuthSetByDeviceKey(tx, device.id, pubkeySha256));
        if (!device || !authSet) throw devauthErrors.unauthorized('auth set vanished');
        if (authSet.status === 'preauthorized') {
          await acceptWithLimit(ctx, tx, { device, authSet, nowMs, via: 'preauthorized' });
        } else if (authSet.status !== 'accepted') {
          throw devauthErrors.unauthorized(`auth set is ${authSet.status}`);
        }
        await insertDeviceToken(
          tx,
          {
            id: issued.jti,
            tenantId,
            deviceId: device.id,
            authSetId: authSet.id,
            expiresAt: issued.expiresAt,
          },
          nowMs,
        );
        await setDeviceCheckIn(tx, device.id, nowMs);
      });
    // A deadlock with other work on the device is retried; a device is never answered 500.
    await retryOnConflict(admit).catch((e: unknown) => {
      if (isConcurrencyConflict(e)) throw devauthErrors.unauthorized('concurrent change of the device');
      throw e;
    });
    knownAuthSets.remember(tenantId, identitySha256, pubkeySha256, issued);
    return issued.token;
  };

  const byCertificate = createCertificateAuth({
    ctx,
    clock,
    admission: deps.certificates,
    knownAuthSets,
    parseKey: parsers.publicKey,
    deviceTokens: { issue, forKnown: tokenForKnown },
  });

  return {
    async authenticate(input) {
      // Every check on the request, the signature included, happens before anything is stored.
      const req = await verifyAuthRequest(input.body, input.signature, input.bearer, parsers);
      // A device without a tenant token may be placed by its certificate's CA (ADR 11).
      const hintless = req.tenantToken === '' && input.clientCertificate !== undefined;
      const certificate = hintless ? await input.clientCertificate?.(undefined) : undefined;
      const tenantId = certificate?.ok ? certificate.tenantId : await tenantOf(req, input.sourceAddress);
      const presented =
        certificate !== undefined ? certificate : ((await input.clientCertificate?.(tenantId)) ?? null);
      if (presented) return byCertificate(tenantId, req, presented);
      const found = await knownAuthSets.find(tenantId, req.identity.sha256, req.pubkey.sha256);
      if (!found) {
        // Only here, after the lookup missed: admitted devices never meet these limits.
        deps.limits?.admitRequest(tenantId, input.sourceAddress, clock.nowMs());
        await recordPending(tenantId, req);
        throw devauthErrors.unauthorized('new or unknown auth set');
      }
      return tokenForKnown(tenantId, found, req.identity.sha256, req.pubkey.sha256);
    },

    async checkToken(token) {
      const claims = await tokens.verify(token);
      if (claims?.['mender.device'] !== true || typeof claims.jti !== 'string') return null;
      const nowMs = clock.nowMs();
      const row = await findLiveDeviceToken(claims.jti, nowMs);
      if (!row || row.deviceId !== claims.sub) return null;
      checkIns.record(row.deviceId, nowMs);
      return { tenantId: row.tenantId, deviceId: row.deviceId, authSetId: row.authSetId, tokenId: row.id };
    },
  };
};

import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { isConcurrencyConflict, retryOnConflict } from '../store/conflicts.js';
import type { VerifiedAuthRequest } from './auth-request.js';
import { devauthErrors } from './devauth-errors.js';
import type { FoundAuthSet, IssuedToken, KnownAuthSets } from './devauth-known-auth-sets.js';
import { newDevice, newPendingAuthSet } from './devauth-records.js';
import {
  countAuthSets,
  findAuthSetByDeviceKey,
  findKeyHolder,
  insertAuthSetIfAbsent,
} from './devauth-repo-authsets.js';
import {
  findDeviceByIdentity,
  insertDeviceIfAbsent,
  lockDevice,
  setDeviceCheckIn,
} from './devauth-repo-devices.js';
import { insertDeviceToken } from './devauth-repo-tokens.js';
import { acceptWithLimit, supersedePendingHolder } from './devauth-transitions.js';
import type {
  AuthSet,
  CertificateAdmission,
  CertificateAllocation,
  CertificateEnrollment,
  DevauthContext,
  PresentedCertificate,
} from './devauth-types.js';
import { MAX_AUTH_SETS_PER_DEVICE } from './devauth-types.js';
import { type CanonicalIdentity, canonicalIdentity, IdentityError } from './identity.js';
import type { DevicePublicKey } from './pubkey.js';

/** How the device service hands out tokens; certificate admission answers with the same ones. */
export interface DeviceTokenIssuer {
  /** A new device token for an accepted auth set, signed and stored. */
  issue(tenantId: string, deviceId: string, authSetId: string): Promise<IssuedToken>;
  /** The answer to an auth request of a known auth set: a token when accepted, else a refusal. */
  forKnown(
    tenantId: string,
    found: FoundAuthSet,
    identitySha256: string,
    pubkeySha256: string,
  ): Promise<string>;
}

const KEY_HELD = "the certificate's key belongs to another device";

/**
 * Certificate-based admission of an auth request (ADR 11, the seed's mutual-TLS flow): the
 * client certificate chains to a verified CA of the tenant, the request is signed with the
 * certificate's key, so the device is accepted on its first request, without anyone approving
 * it. The identity comes from the certificate; the enrollment (group, individual enrollment,
 * allocation webhook) decides whether and with what the device is admitted. The steps, in order:
 * resolve the enrollment, require the certificate's key, derive the identity, answer a known
 * device, choose the device, allocate, sign the token, admit in one transaction.
 */
export const createCertificateAuth = (deps: {
  ctx: DevauthContext;
  clock: Clock;
  admission: CertificateAdmission | undefined;
  knownAuthSets: KnownAuthSets;
  parseKey: (pem: string) => DevicePublicKey;
  deviceTokens: DeviceTokenIssuer;
}) => {
  const { ctx, clock } = deps;
  const { store } = ctx;
  const db = store.db;

  /** Step 1: a certificate that verified, and what the enrollment of its CA says about it. */
  const resolveEnrollment = async (
    tenantId: string,
    presented: PresentedCertificate,
  ): Promise<{ enrollment: CertificateEnrollment; leafKeyPem: string }> => {
    if (!presented.ok) throw devauthErrors.unauthorized(`client certificate refused: ${presented.reason}`);
    if (!deps.admission) throw devauthErrors.unauthorized('certificate admission is not available');
    const enrollment = await deps.admission.resolve(tenantId, presented);
    return { enrollment, leafKeyPem: presented.leaf.publicKeyPem };
  };

  /**
   * Step 2: the key that signed the request is the certificate's. Whoever holds the certificate
   * alone (it is public) must not get a device in with a key of their own.
   */
  const requireCertificateKey = async (
    enrollment: CertificateEnrollment,
    leafKeyPem: string,
    req: VerifiedAuthRequest,
  ): Promise<void> => {
    if (deps.parseKey(leafKeyPem).sha256 !== req.pubkey.sha256)
      await enrollment.refuse('the auth request is not signed with the client certificate key');
  };

  /** Step 3: the device's identity, as the enrollment derives it from the certificate. */
  const identityOf = async (enrollment: CertificateEnrollment): Promise<CanonicalIdentity> => {
    try {
      return canonicalIdentity(enrollment.identity);
    } catch (e) {
      if (e instanceof IdentityError) return enrollment.refuse(`identity from the certificate: ${e.message}`);
      throw e;
    }
  };

  /**
   * Step 5: the device the certificate admits: the auth set's, the identity's, or a new one. One
   * device per key (auth_sets_tenant_key_uq) is checked before the allocation webhook is called;
   * only a pending holder gives way to the certificate (supersedePendingHolder).
   */
  const chooseDevice = async (
    tenantId: string,
    enrollment: CertificateEnrollment,
    identity: CanonicalIdentity,
    req: VerifiedAuthRequest,
    found: FoundAuthSet | undefined,
  ): Promise<{ deviceId: string; known: boolean }> => {
    const existing = found ? undefined : await findDeviceByIdentity(db, tenantId, identity.sha256);
    const deviceId = found?.deviceId ?? existing?.id ?? newId();
    const holder = await findKeyHolder(db, tenantId, req.pubkey.sha256, deviceId);
    if (holder && holder.status !== 'pending') await enrollment.refuse(KEY_HELD);
    return { deviceId, known: found !== undefined || existing !== undefined };
  };

  /**
   * Step 8, in one transaction: the device, its auth set (accepted within the tenant's limit),
   * what the allocation gives it, the token row and the check-in. 'key-held' when another device
   * took the key meanwhile.
   */
  const admitInTransaction = (a: {
    tenantId: string;
    deviceId: string;
    authSetId: string;
    identity: CanonicalIdentity;
    req: VerifiedAuthRequest;
    allocation: CertificateAllocation;
    issued: IssuedToken;
  }) =>
    db.transaction().execute(async (tx): Promise<'admitted' | 'key-held'> => {
      const { tenantId, deviceId, authSetId, req } = a;
      const nowMs = clock.nowMs();
      const heldBy = await findKeyHolder(tx, tenantId, req.pubkey.sha256, deviceId);
      if (
        heldBy &&
        !(await supersedePendingHolder(ctx, tx, heldBy, { tenantId, byDeviceId: deviceId, nowMs }))
      )
        return 'key-held';
      await insertDeviceIfAbsent(tx, newDevice(deviceId, tenantId, a.identity, nowMs));
      // A concurrent request may have created the identity under another id: the device retries.
      const device = await lockDevice(tx, tenantId, deviceId);
      if (!device || device.identitySha256 !== a.identity.sha256)
        throw devauthErrors.unauthorized('concurrent enrollment of this identity');
      let authSet: AuthSet | undefined = await findAuthSetByDeviceKey(tx, device.id, req.pubkey.sha256);
      if (!authSet) {
        if ((await countAuthSets(tx, device.id)) >= MAX_AUTH_SETS_PER_DEVICE)
          throw devauthErrors.unauthorized('too many auth sets');
        authSet = newPendingAuthSet(authSetId, device, req.pubkey, nowMs);
        if (!(await insertAuthSetIfAbsent(tx, authSet)))
          throw devauthErrors.unauthorized('concurrent enrollment of this key');
      }
      if (authSet.id !== authSetId) throw devauthErrors.unauthorized('concurrent enrollment of this key');
      if (authSet.status === 'rejected') throw devauthErrors.unauthorized('auth set is rejected');
      if (authSet.status !== 'accepted')
        await acceptWithLimit(ctx, tx, { device, authSet, nowMs, via: 'certificate' });
      await a.allocation.apply(tx, { device: { ...device, status: 'accepted' }, authSetId, nowMs });
      await insertDeviceToken(
        tx,
        { id: a.issued.jti, tenantId, deviceId, authSetId, expiresAt: a.issued.expiresAt },
        nowMs,
      );
      await setDeviceCheckIn(tx, deviceId, nowMs);
      return 'admitted';
    });

  return async (
    tenantId: string,
    req: VerifiedAuthRequest,
    presented: PresentedCertificate,
  ): Promise<string> => {
    const { enrollment, leafKeyPem } = await resolveEnrollment(tenantId, presented);
    await requireCertificateKey(enrollment, leafKeyPem, req);
    const identity = await identityOf(enrollment);

    // Step 4: a device already admitted with this key gets a token like any known device; a
    // rejected auth set stays rejected (certificates do not overrule an operator).
    const found = await deps.knownAuthSets.find(tenantId, identity.sha256, req.pubkey.sha256);
    if (found?.status === 'accepted')
      return deps.deviceTokens.forKnown(tenantId, found, identity.sha256, req.pubkey.sha256);
    if (found?.status === 'rejected') return enrollment.refuse('auth set is rejected');

    const { deviceId, known } = await chooseDevice(tenantId, enrollment, identity, req, found);
    // Step 6: the allocation decision (group, tags, bootstrap config; may call a webhook).
    const allocation = await enrollment.allocate({
      deviceId: known ? deviceId : null,
      requestIdentity: req.identity.attributes,
    });
    // Step 7: sign before the transaction (docs/principles.md#short-transactions); the token is
    // valid only once its row commits.
    const authSetId = found?.authSetId ?? newId();
    const issued = await deps.deviceTokens.issue(tenantId, deviceId, authSetId);

    let outcome: 'admitted' | 'key-held';
    try {
      // Lost a race at a unique index (the key, the device's bootstrap config's external id):
      // the next attempt sees the winner's rows and decides on them.
      outcome = await retryOnConflict(() =>
        admitInTransaction({ tenantId, deviceId, authSetId, identity, req, allocation, issued }),
      );
    } catch (e) {
      if (isConcurrencyConflict(e)) throw devauthErrors.unauthorized('concurrent enrollment');
      throw e;
    }
    // Refused outside the transaction: the refusal's event is written on its own (SQLite has one connection).
    if (outcome === 'key-held') return enrollment.refuse(KEY_HELD);
    deps.knownAuthSets.remember(tenantId, identity.sha256, req.pubkey.sha256, issued);
    return issued.token;
  };
};

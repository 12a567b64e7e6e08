import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { toRfc3339 } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { sourceKey, type TokenBuckets } from '../limits/index.js';
import type { Store } from '../store/store.js';
import type { AttemptContext, AttemptOutcomes } from './bootstrap-attempts.js';
import {
  buildTranscript,
  computeProof,
  deriveAuthKey,
  deriveResponseKey,
  fromB64uExact,
  sealV2Response,
  toB64u,
  V2_NONCE_BYTES,
  V2_PROOF_BYTES,
} from './bootstrap-crypto-v2.js';
import { type DeliveryBuilder, deliveryToWire } from './bootstrap-delivery.js';
import { bootstrapErrors } from './bootstrap-errors.js';
import { consumeChallenge, insertChallenge, purgeExpiredChallenges } from './bootstrap-repo-challenges.js';
import type { prepareDeviceLookups } from './bootstrap-repo-configs.js';
import type { BootstrapSecrets } from './bootstrap-secrets.js';

export interface V2Challenge {
  challenge_id: string;
  server_nonce: string;
  expires_at: string;
}

export interface V2ExchangeRequest {
  external_id: string;
  challenge_id: string;
  device_nonce: string;
  proof: string;
}

export interface V2Response {
  version: 'v2';
  challenge_id: string;
  nonce: string;
  ciphertext: string;
}

export interface BootstrapV2Service {
  challenge(tenantId: string, externalId: string, address: string): Promise<V2Challenge>;
  exchange(tenantId: string, req: V2ExchangeRequest, address: string): Promise<V2Response>;
}

/** Bootstrap v2 (docs/bootstrap-v2.md): challenge–response, per-device keys, AES-256-GCM. */
export const createBootstrapV2Service = (deps: {
  store: Store;
  clock: Clock;
  secrets: BootstrapSecrets;
  lookups: ReturnType<typeof prepareDeviceLookups>;
  deliver: DeliveryBuilder;
  outcomes: AttemptOutcomes;
  challengeTtlMs: number;
  /** Challenges per source address: each one is a row until it expires. */
  challengeRate: TokenBuckets;
}): BootstrapV2Service => {
  const { store, clock, secrets, lookups, outcomes } = deps;
  const context = (externalId: string, address: string): AttemptContext => ({
    mode: 'v2',
    externalId,
    address,
    keys: outcomes.keys(externalId, address),
  });

  let lastPurgeMs = Number.NEGATIVE_INFINITY;

  return {
    /**
     * Unknown external ids and held configs get a challenge too, stored like any other, so the answer
     * (and the work behind it) does not tell which external ids exist.
     */
    async challenge(tenantId, externalId, address) {
      await outcomes.gate(context(externalId, address), tenantId);
      const nowMs = clock.nowMs();
      const wait = deps.challengeRate.take(sourceKey(address), nowMs);
      if (wait !== null) throw bootstrapErrors.tooManyChallenges(wait);
      const record = await lookups.byTenantExternalId(tenantId, externalId);
      const challenge = {
        id: newId(),
        tenantId,
        externalId,
        configId: record && !record.config.held ? record.config.id : null,
        serverNonce: toB64u(randomBytes(V2_NONCE_BYTES)),
        expiresAt: nowMs + deps.challengeTtlMs,
        createdAt: nowMs,
      };
      // Expired challenges are purged at most once a second per process, not on every request.
      if (nowMs - lastPurgeMs >= 1000 || nowMs < lastPurgeMs) {
        lastPurgeMs = nowMs;
        await purgeExpiredChallenges(store.db, nowMs);
      }
      await insertChallenge(store.db, challenge);
      return {
        challenge_id: challenge.id,
        server_nonce: challenge.serverNonce,
        expires_at: toRfc3339(challenge.expiresAt),
      };
    },

    async exchange(tenantId, req, address) {
      const deviceNonce = fromB64uExact(req.device_nonce, V2_NONCE_BYTES);
      const proof = fromB64uExact(req.proof, V2_PROOF_BYTES);
      if (!deviceNonce || !proof) {
        throw bootstrapErrors.badRequest('device_nonce and proof must be 32 bytes in unpadded base64url');
      }
      const c = context(req.external_id, address);
      const known = await outcomes.gate(c, tenantId);
      // Consumed before anything is checked: a challenge is answered at most once, right or wrong.
      const challenge = await consumeChallenge(store.db, tenantId, req.challenge_id);
      const record = challenge?.configId ? await lookups.byId(tenantId, challenge.configId) : undefined;
      let externalKey: string;
      if (record) externalKey = secrets.open(record.config, 'external_key', record.secrets.externalKeySealed);
      else {
        secrets.openDummy();
        externalKey = randomBytes(32).toString('hex');
      }
      const transcript = buildTranscript({
        tenantId,
        externalId: req.external_id,
        challengeId: req.challenge_id,
        serverNonce: challenge
          ? Buffer.from(challenge.serverNonce, 'base64url')
          : randomBytes(V2_NONCE_BYTES),
        deviceNonce,
      });
      const expected = computeProof(deriveAuthKey(externalKey, tenantId, req.external_id), transcript);
      const proofOk = timingSafeEqual(expected, proof);
      const nowMs = clock.nowMs();
      const reason = !challenge
        ? 'unknown or used challenge'
        : challenge.externalId !== req.external_id
          ? 'challenge issued for another external id'
          : challenge.expiresAt <= nowMs
            ? 'challenge expired'
            : !record || record.config.externalId !== req.external_id
              ? 'unknown external id or config held'
              : record.config.held
                ? 'config held'
                : !proofOk
                  ? 'wrong proof'
                  : undefined;
      if (reason !== undefined || !record) return outcomes.failed(c, [tenantId], reason ?? 'unknown');
      const plaintext = Buffer.from(JSON.stringify(deliveryToWire(await deps.deliver(record))));
      const responseKey = deriveResponseKey(externalKey, tenantId, req.external_id, transcript);
      const sealed = sealV2Response(responseKey, transcript, plaintext);
      await outcomes.succeeded(c, known, record);
      return {
        version: 'v2',
        challenge_id: req.challenge_id,
        nonce: toB64u(sealed.nonce),
        ciphertext: toB64u(sealed.ciphertext),
      };
    },
  };
};

import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { safeEqual } from '../core/hash.js';
import type { SecretBox } from '../core/secret-box.js';
import type { SealedSecrets } from './bootstrap-types.js';

/**
 * Bootstrap secrets at rest (docs/adr/0008-bootstrap.md): external keys and client secrets are
 * stored twice, as a keyed hash (HMAC-SHA256 under a pepper derived from the master key; for
 * lookup and constant-time comparison) and sealed with the secret box (the v2 protocol derives the
 * device key from the external key, and devices must be handed their client secret back).
 * The AAD of a sealed value names its tenant, config and field, so a sealed value copied into
 * another row or column does not open.
 */
export type SecretField = 'external_key' | 'client_secret' | 'client_key';

export interface ConfigRef {
  tenantId: string;
  id: string;
}

export interface BootstrapSecrets {
  externalKeyHash(externalId: string, externalKey: string): string;
  clientSecretHash(clientSecret: string): string;
  /** Constant-time comparison of a presented key against a stored hash. */
  matchesExternalKey(storedHash: string, externalId: string, presentedKey: string): boolean;
  seal(ref: ConfigRef, field: SecretField, value: string): string;
  open(ref: ConfigRef, field: SecretField, sealed: string): string;
  /** Does the work of open() on a value that exists only for this, so failures take as long. */
  openDummy(): void;
  /** A hash no key matches, compared against when the external id is unknown. */
  readonly dummyHash: string;
}

/** A new config's secrets as stored: hashed for lookup, sealed for delivery (client key sealed only). */
export const configSecrets = (
  secrets: BootstrapSecrets,
  ref: ConfigRef,
  v: { externalId: string; externalKey: string; clientSecret: string; clientKey: string | null },
): SealedSecrets => ({
  externalKeyHash: secrets.externalKeyHash(v.externalId, v.externalKey),
  externalKeySealed: secrets.seal(ref, 'external_key', v.externalKey),
  clientSecretHash: secrets.clientSecretHash(v.clientSecret),
  clientSecretSealed: secrets.seal(ref, 'client_secret', v.clientSecret),
  clientKeySealed: v.clientKey === null ? null : secrets.seal(ref, 'client_key', v.clientKey),
});

const frame = (parts: string[]): Buffer =>
  Buffer.concat(
    parts.map((p) => {
      const b = Buffer.from(p, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      return Buffer.concat([len, b]);
    }),
  );

export const createBootstrapSecrets = (deps: { masterKey: Uint8Array; box: SecretBox }): BootstrapSecrets => {
  const pepper = Buffer.from(
    hkdfSync('sha256', deps.masterKey, 'gatehouse-bootstrap', 'bootstrap secret hash v1', 32),
  );
  const hmac = (parts: string[]) => createHmac('sha256', pepper).update(frame(parts)).digest('hex');
  const aad = (ref: ConfigRef, field: SecretField) => `bootstrap-config:${ref.tenantId}:${ref.id}:${field}`;
  const dummyRef = { tenantId: 'dummy', id: 'dummy' };
  const dummySealed = deps.box.seal(randomBytes(32).toString('base64url'), aad(dummyRef, 'external_key'));
  const externalKeyHash = (externalId: string, externalKey: string) =>
    hmac(['external-key', externalId, externalKey]);
  return {
    externalKeyHash,
    clientSecretHash: (secret) => hmac(['client-secret', secret]),
    matchesExternalKey: (storedHash, externalId, presentedKey) =>
      safeEqual(storedHash, externalKeyHash(externalId, presentedKey)),
    seal: (ref, field, value) => deps.box.seal(value, aad(ref, field)),
    open: (ref, field, sealed) => deps.box.open(sealed, aad(ref, field)).toString('utf8'),
    openDummy: () => {
      deps.box.open(dummySealed, aad(dummyRef, 'external_key'));
    },
    dummyHash: hmac(['dummy', randomBytes(32).toString('hex')]),
  };
};

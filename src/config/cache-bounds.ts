/**
 * Entries each in-process cache holds at most (least recently used forgotten first). Every cache
 * is created per app instance (src/wiring.ts or the domain's builder), so two instances in one
 * process share nothing. The signature cache's bound is a setting (`tokenCacheSize`); these are
 * sized for one process's fleet and are not operator knobs: a miss only costs a parse or a check
 * again, never a wrong answer. Memory grows with use up to the bound (core/lru.ts).
 */
export const CACHE_BOUNDS = {
  /** Parsed device public keys, by PEM text (devauth). */
  devicePublicKeys: 10_000,
  /** Canonical device identities, by `id_data` text of at most 1,024 characters (devauth). */
  deviceIdentities: 10_000,
  /** When each device's check-in was last recorded (devauth; keep above one process's fleet). */
  checkIns: 1_000_000,
  /**
   * Keys of events recorded at most once per window (core/once-per-window.ts): refused tenant
   * tokens (also their per-source and per-tenant rate buckets), key collisions, refused
   * certificate enrollments. One forgotten is at worst recorded once more.
   */
  refusedAuthKeys: 10_000,
  keyCollisionKeys: 10_000,
  enrollmentRefusalKeys: 10_000,
  /** Young device tokens handed out, one per auth set (devauth, ADR 4). */
  youngDeviceTokens: 100_000,
  /** Client-certificate chains parsed from a trusted proxy's header, by header value. */
  proxyCertificateHeaders: 5_000,
  /** Parsed certificate facts, by fingerprint (pki). */
  certificateFacts: 20_000,
  /** Signature checks of (certificate, issuer) pairs (pki). */
  issuedPairs: 20_000,
  /** Parsed CA certificates, by fingerprint, and CRLs, by CA and thisUpdate (pki). */
  caCertificates: 1_000,
  crls: 1_000,
  /** Built-in CAs' private keys, imported non-extractable, by CA id (pki; signing costs an unseal otherwise). */
  builtinCaKeys: 1_000,
} as const;

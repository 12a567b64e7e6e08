import { X509Certificate } from 'node:crypto';
import { CACHE_BOUNDS } from '../config/cache-bounds.js';
import { createLru, type LRUCache, NO_OPTIONS } from '../core/lru.js';
import type { Executor } from '../store/store.js';
import { findCasBySubjectHash } from './pki-repo-cas.js';
import { certificateRevocation } from './pki-repo-certs.js';
import type { Ca, ChainFailure, ClientCertVerification } from './pki-types.js';
import {
  type CertFacts,
  certFacts,
  nameHash,
  normalizeSerial,
  OID_ANY_EKU,
  OID_CLIENT_AUTH,
  x509,
} from './pki-x509.js';

export interface VerifyClientCertificateInput {
  /** The presented chain, leaf first (intermediates may follow, in any order; a root is ignored). */
  chain: readonly X509Certificate[];
  /** The tenant the caller already knows (EST path label, tenant token): only its CAs count. */
  tenantHint?: string | undefined;
  nowMs: number;
}

/**
 * Parsed certificates and CRLs and signature checks, keyed by what changes when they change: one
 * set per app instance (createPkiModule), bounded, the least recently used forgotten first. Only facts
 * of public certificates and signature results; whether a chain is accepted (validity, CA state,
 * revocation) is decided on every call.
 */
export interface PkiCaches {
  facts: LRUCache<string, CertFacts>;
  caCerts: LRUCache<string, X509Certificate>;
  issuedPairs: LRUCache<string, boolean>;
  crls: LRUCache<string, Set<string>>;
}

export const createPkiCaches = (): PkiCaches => ({
  facts: createLru(CACHE_BOUNDS.certificateFacts),
  caCerts: createLru(CACHE_BOUNDS.caCertificates),
  issuedPairs: createLru(CACHE_BOUNDS.issuedPairs),
  crls: createLru(CACHE_BOUNDS.crls),
});

/** Longest chain followed: leaf + intermediates up to a registered CA. */
export const MAX_CHAIN_DEPTH = 6;

/**
 * Verifies a client certificate chain against the CAs registered in Gatehouse (ADR 9). The leaf
 * must lead, through intermediates presented with it or registered themselves, to a registered
 * CA that is verified, enabled and unexpired. Every certificate on the path is checked for its
 * validity period, CA flag, key usage and path length; the leaf for clientAuth if it lists
 * extended key usages. Revocation: certificates issued by a built-in CA must be in its issued
 * table and not revoked; for an uploaded CA, its uploaded CRL (if any) is consulted.
 *
 * Without `tenantHint`, a CA certificate registered (and usable) in several tenants makes the
 * answer `ambiguous_tenant`: the caller must say which tenant it means.
 */
export const verifyClientCertificate = async (
  db: Executor,
  input: VerifyClientCertificateInput,
  /** The app instance's caches; without them nothing is remembered. */
  caches?: PkiCaches,
): Promise<ClientCertVerification> => {
  const { chain, nowMs } = input;
  const leaf = chain[0];
  if (!leaf) return fail('no_certificate');
  const lf = factsOf(leaf, caches);
  if (!lf) return fail('malformed_certificate');
  if (lf.isCa) return fail('leaf_is_ca');
  const leafProblem =
    windowProblem(lf, nowMs) ??
    (lf.keyUsage !== undefined && (lf.keyUsage & x509.KeyUsageFlags.digitalSignature) === 0
      ? 'bad_key_usage'
      : undefined) ??
    (lf.extKeyUsage !== undefined && !lf.extKeyUsage.some((o) => o === OID_CLIENT_AUTH || o === OID_ANY_EKU)
      ? 'bad_extended_key_usage'
      : undefined) ??
    (lf.unknownCritical.length > 0 ? 'unsupported_critical_extension' : undefined);
  if (leafProblem) return fail(leafProblem, lf.subject);

  const path: X509Certificate[] = [leaf];
  let current = leaf;
  let best: ChainFailure = 'unknown_issuer';
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    const registered = (await findCasBySubjectHash(db, nameHash(current.issuer), input.tenantHint)).filter(
      (ca) => issued(caCertificate(ca, caches), current, caches),
    );
    const usable = registered.filter((ca) => usability(ca, nowMs) === undefined);
    if (usable.length > 0) {
      if (new Set(usable.map((ca) => ca.tenantId)).size > 1) return fail('ambiguous_tenant');
      return finish(db, usable[0] as Ca, path, caches);
    }
    const why = registered.map((ca) => usability(ca, nowMs)).find((r) => r !== undefined);
    if (why) best = why;

    // Climb: an intermediate presented with the leaf, or a registered (unusable) CA's own certificate.
    const next =
      chain.slice(1).find((c) => !path.includes(c) && issued(c, current, caches)) ??
      registered
        .map((ca) => caCertificate(ca, caches))
        .find((c) => !path.some((p) => p.fingerprint256 === c.fingerprint256));
    if (!next) return fail(best);
    const nf = factsOf(next, caches);
    if (!nf) return fail('malformed_certificate');
    const problem =
      (nf.isCa ? undefined : 'intermediate_not_ca') ??
      windowProblem(nf, nowMs) ??
      (nf.keyUsage !== undefined && (nf.keyUsage & x509.KeyUsageFlags.keyCertSign) === 0
        ? 'bad_key_usage'
        : undefined) ??
      (nf.unknownCritical.length > 0 ? 'unsupported_critical_extension' : undefined) ??
      (nf.pathLength !== undefined && nf.pathLength < path.length - 1 ? 'path_length_exceeded' : undefined);
    if (problem) return fail(problem, nf.subject);
    path.push(next);
    current = next;
  }
  return fail('chain_too_long');
};

/** A certificate Node parsed but the X.509 library cannot read refuses the chain, not the request. */
const factsOf = (cert: X509Certificate, caches: PkiCaches | undefined): CertFacts | undefined => {
  try {
    return certFacts(cert, caches?.facts);
  } catch {
    return undefined;
  }
};

const fail = (reason: ChainFailure, detail?: string): ClientCertVerification =>
  detail === undefined ? { ok: false, reason } : { ok: false, reason, detail };

const windowProblem = (f: CertFacts, nowMs: number): ChainFailure | undefined =>
  nowMs < f.notBefore ? 'not_yet_valid' : nowMs > f.notAfter ? 'expired' : undefined;

const usability = (ca: Ca, nowMs: number): ChainFailure | undefined =>
  ca.status !== 'verified'
    ? 'ca_unverified'
    : !ca.enabled
      ? 'ca_disabled'
      : nowMs < ca.notBefore || nowMs > ca.notAfter
        ? 'ca_expired'
        : undefined;

/** Did `issuer` sign `cert`? Names, key identifiers and key usage (OpenSSL's check), then the signature. */
const issued = (issuer: X509Certificate, cert: X509Certificate, caches: PkiCaches | undefined): boolean =>
  // A signature never changes: checked once per (certificate, issuer) pair per app instance, so a
  // device re-authenticating with its certificate pays no chain crypto (validity, CA state and
  // revocation are still checked on every call).
  remember(caches?.issuedPairs, `${cert.fingerprint256}|${issuer.fingerprint256}`, () => {
    try {
      return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
    } catch {
      return false;
    }
  });

const finish = async (
  db: Executor,
  anchor: Ca,
  path: X509Certificate[],
  caches: PkiCaches | undefined,
): Promise<ClientCertVerification> => {
  const anchorFacts = certFacts(caCertificate(anchor, caches), caches?.facts);
  const intermediates = path.length - 1;
  if (anchorFacts.pathLength !== undefined && anchorFacts.pathLength < intermediates)
    return fail('path_length_exceeded', anchor.subject);
  // Only the certificate the anchor signed directly can be checked against the anchor's records.
  const top = path[path.length - 1] as X509Certificate;
  const serial = normalizeSerial(top.serialNumber);
  if (anchor.kind === 'builtin') {
    const rec = await certificateRevocation(db, anchor.id, serial);
    if (!rec) return fail('unknown_certificate', serial);
    if (rec.revokedAt !== null) return fail('revoked', serial);
  } else if (anchor.crl && crlSerials(anchor, caches).has(serial)) {
    return fail('revoked', serial);
  }
  const lf = certFacts(path[0] as X509Certificate, caches?.facts);
  return {
    ok: true,
    tenantId: anchor.tenantId,
    caId: anchor.id,
    caKind: anchor.kind,
    leaf: {
      subject: lf.subject,
      cn: lf.cn,
      serial: lf.serial,
      fingerprint: lf.fingerprint,
      notAfter: lf.notAfter,
      publicKeyPem: lf.publicKeyPem,
      pem: lf.pem,
    },
  };
};

const remember = <V extends {}>(cache: LRUCache<string, V> | undefined, key: string, make: () => V): V => {
  let v = cache?.get(key, NO_OPTIONS);
  if (v === undefined) {
    v = make();
    cache?.set(key, v, NO_OPTIONS);
  }
  return v;
};

export const caCertificate = (ca: Ca, caches?: PkiCaches): X509Certificate =>
  remember(caches?.caCerts, ca.fingerprint, () => new X509Certificate(ca.certPem));

const crlSerials = (ca: Ca, caches: PkiCaches | undefined): Set<string> =>
  remember(caches?.crls, `${ca.id}:${ca.crl?.thisUpdate}`, () => {
    const crl = new x509.X509Crl(ca.crl?.der ?? Buffer.alloc(0));
    return new Set(crl.entries.map((e) => normalizeSerial(e.serialNumber)));
  });

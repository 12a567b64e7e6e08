import { X509Certificate } from 'node:crypto';
import { CACHE_BOUNDS } from '../config/cache-bounds.js';
import type { Clock } from '../core/clock.js';
import { newId } from '../core/ids.js';
import { createLru, NO_OPTIONS } from '../core/lru.js';
import type { SecretBox } from '../core/secret-box.js';
import { recordEvent } from '../events/index.js';
import { type Db, type Executor, isUniqueViolation } from '../store/store.js';
import {
  type CaKey,
  generateCaKey,
  importCaKey,
  keyTypeOf,
  randomSerial,
  selfSignedCa,
  signCrl,
  signDeviceCertificate,
} from './pki-ca-crypto.js';
import type { CheckedCsr } from './pki-csr.js';
import { pkiErrors } from './pki-errors.js';
import { findBuiltinCa, findCaPrivateKey, insertCa, updateCa } from './pki-repo-cas.js';
import {
  findCertificate,
  insertCertificate,
  listCertificates,
  listRevokedForCrl,
  revokeCertificate,
} from './pki-repo-certs.js';
import type { BuiltinKeyType, Ca, IssuedCertificate, IssuedVia, RevocationReason } from './pki-types.js';
import { fingerprintOf, nameHash, normalizeSerial, toPem, x509 } from './pki-x509.js';

const DAY_MS = 86400 * 1000;
/** A published CRL is valid for a week and re-signed when a day old (or at once on revocation). */
export const CRL_VALIDITY_MS = 7 * DAY_MS;
export const CRL_REFRESH_MS = DAY_MS;
/** Issued certificates start a little in the past, for devices whose clock runs slightly behind. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface EnableBuiltinInput {
  keyType?: BuiltinKeyType | undefined;
  commonName?: string | undefined;
  caValidityDays?: number | undefined;
  certValidityDays?: number | undefined;
}

export interface IssueInput {
  csr: CheckedCsr;
  via: IssuedVia;
  validityDays?: number | undefined;
  credentialId?: string | null;
  deviceId?: string | null;
  replacesSerial?: string | null;
  /** Runs first in the issuing transaction (e.g. counts an enrollment credential's use); throws to refuse. */
  guard?: (tx: Executor, nowMs: number) => Promise<void>;
}

export interface PkiBuiltinService {
  enable(tenantId: string, input: EnableBuiltinInput): Promise<Ca>;
  /** The tenant's built-in CA; 404 when not enabled. */
  get(tenantId: string): Promise<Ca>;
  find(tenantId: string): Promise<Ca | undefined>;
  issue(tenantId: string, input: IssueInput): Promise<{ certificate: IssuedCertificate; ca: Ca }>;
  revoke(tenantId: string, serial: string, reason: RevocationReason): Promise<IssuedCertificate>;
  getCertificate(tenantId: string, serial: string): Promise<IssuedCertificate>;
  listCertificates(
    tenantId: string,
    q: { offset: number; limit: number; status?: 'valid' | 'revoked' | undefined },
  ): Promise<IssuedCertificate[]>;
  /** The current CRL (DER), re-signed when missing or a day old. */
  crl(tenantId: string): Promise<{ der: Buffer; thisUpdate: number; nextUpdate: number }>;
}

export const createPkiBuiltinService = (deps: {
  db: Db;
  clock: Clock;
  box: SecretBox;
  /** Base URL written as CRL distribution point into issued certificates (unset: none). */
  crlBaseUrl: string | undefined;
}): PkiBuiltinService => {
  const { db, clock, box } = deps;
  const keyAad = (tenantId: string, caId: string) => `pki-ca-key:${tenantId}:${caId}`;
  // Imported non-extractable (WebCrypto), so no key bytes stay in the clear; bounded per instance.
  const keys = createLru<string, CaKey>(CACHE_BOUNDS.builtinCaKeys);

  const find = (tenantId: string) => findBuiltinCa(db, tenantId);
  const get = async (tenantId: string): Promise<Ca> => {
    const ca = await find(tenantId);
    if (!ca) throw pkiErrors.builtinNotFound();
    return ca;
  };
  const caKey = async (ca: Ca, caCert: x509.X509Certificate): Promise<CaKey> => {
    const known = keys.get(ca.id, NO_OPTIONS);
    if (known) return known;
    const sealed = await findCaPrivateKey(db, ca.tenantId, ca.id);
    if (!sealed) throw new Error(`built-in CA ${ca.id} has no private key`);
    const key = await importCaKey(keyTypeOf(caCert), box.open(sealed, keyAad(ca.tenantId, ca.id)));
    keys.set(ca.id, key, NO_OPTIONS);
    return key;
  };

  const regenerateCrl = async (ca: Ca) => {
    const caCert = new x509.X509Certificate(ca.certPem);
    const thisUpdate = clock.nowMs();
    const nextUpdate = thisUpdate + CRL_VALIDITY_MS;
    const entries = await listRevokedForCrl(db, ca.id, thisUpdate);
    const der = await signCrl({
      ca: caCert,
      caKey: await caKey(ca, caCert),
      entries,
      thisUpdate,
      nextUpdate,
    });
    // A newer CRL (another process) wins; either way the stored one lists every revocation so far.
    await updateCa(db, ca.tenantId, ca.id, { crl: { der, thisUpdate, nextUpdate }, updatedAt: thisUpdate });
    return { der, thisUpdate, nextUpdate };
  };

  return {
    async enable(tenantId, input) {
      if (await find(tenantId)) throw pkiErrors.builtinExists();
      const keyType = input.keyType ?? 'ec-p256';
      const nowMs = clock.nowMs();
      const id = newId();
      const commonName = input.commonName?.trim() || `Gatehouse device CA ${tenantId}`;
      if (commonName.length > 64) throw pkiErrors.badRequest('common_name longer than 64 characters');
      const { pair, pkcs8 } = await generateCaKey(keyType);
      const cert = await selfSignedCa({
        pair,
        keyType,
        commonName,
        notBefore: new Date(nowMs - BACKDATE_MS),
        notAfter: new Date(nowMs + (input.caValidityDays ?? 3650) * DAY_MS),
      });
      const node = new X509Certificate(Buffer.from(cert.rawData));
      const ca: Ca = {
        id,
        tenantId,
        kind: 'builtin',
        name: 'built-in CA',
        certPem: toPem(new Uint8Array(cert.rawData)),
        fingerprint: fingerprintOf(new Uint8Array(cert.rawData)),
        subject: node.subject,
        issuer: node.issuer,
        serial: normalizeSerial(node.serialNumber),
        notBefore: cert.notBefore.getTime(),
        notAfter: cert.notAfter.getTime(),
        status: 'verified',
        enabled: true,
        verificationCode: null,
        verificationCodeExpiresAt: null,
        verifiedAt: nowMs,
        certValidityDays: input.certValidityDays ?? 365,
        crl: null,
        createdAt: nowMs,
        updatedAt: nowMs,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await insertCa(tx, {
            ca,
            subjectHash: nameHash(ca.subject),
            privateKeySealed: box.seal(pkcs8, keyAad(tenantId, id)),
          });
          await recordEvent(tx, {
            tenantId,
            type: 'pki.builtin_ca_created',
            payload: { ca_id: id, subject: ca.subject, fingerprint: ca.fingerprint, key_type: keyType },
            nowMs,
          });
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw pkiErrors.builtinExists();
        throw e;
      }
      return ca;
    },

    get,
    find,

    async issue(tenantId, input) {
      const ca = await get(tenantId);
      if (!ca.enabled) throw pkiErrors.builtinDisabled();
      const caCert = new x509.X509Certificate(ca.certPem);
      const nowMs = clock.nowMs();
      const days = input.validityDays ?? ca.certValidityDays ?? 365;
      const notAfter = Math.min(nowMs + days * DAY_MS, ca.notAfter);
      const serial = randomSerial();
      const cert = await signDeviceCertificate({
        ca: caCert,
        caKey: await caKey(ca, caCert),
        csr: input.csr,
        serial,
        notBefore: new Date(Math.max(nowMs - BACKDATE_MS, ca.notBefore)),
        notAfter: new Date(notAfter),
        crlUrl: deps.crlBaseUrl ? `${deps.crlBaseUrl}/pki/${tenantId}/crl` : undefined,
      });
      const der = new Uint8Array(cert.rawData);
      const issued: IssuedCertificate = {
        caId: ca.id,
        serial,
        tenantId,
        subject: new X509Certificate(der).subject,
        cn: input.csr.cn,
        fingerprint: fingerprintOf(der),
        certPem: toPem(der),
        notBefore: cert.notBefore.getTime(),
        notAfter: cert.notAfter.getTime(),
        issuedVia: input.via,
        credentialId: input.credentialId ?? null,
        deviceId: input.deviceId ?? null,
        replacesSerial: input.replacesSerial ?? null,
        revokedAt: null,
        revocationReason: null,
        createdAt: nowMs,
      };
      await db.transaction().execute(async (tx) => {
        if (input.guard) await input.guard(tx, nowMs);
        await insertCertificate(tx, issued);
        await recordEvent(tx, {
          tenantId,
          type: 'pki.certificate_issued',
          deviceId: issued.deviceId,
          payload: {
            ca_id: ca.id,
            serial,
            subject: issued.subject,
            via: input.via,
            ...(issued.credentialId ? { credential_id: issued.credentialId } : {}),
            ...(issued.replacesSerial ? { replaces_serial: issued.replacesSerial } : {}),
          },
          nowMs,
        });
      });
      return { certificate: issued, ca };
    },

    async revoke(tenantId, serial, reason) {
      const s = normalizeSerial(serial);
      const cert = await findCertificate(db, tenantId, s);
      if (!cert) throw pkiErrors.certificateNotFound();
      if (cert.revokedAt !== null) throw pkiErrors.alreadyRevoked();
      const nowMs = clock.nowMs();
      await db.transaction().execute(async (tx) => {
        if (!(await revokeCertificate(tx, tenantId, s, { at: nowMs, reason })))
          throw pkiErrors.alreadyRevoked();
        await recordEvent(tx, {
          tenantId,
          type: 'pki.certificate_revoked',
          deviceId: cert.deviceId,
          payload: { ca_id: cert.caId, serial: s, reason },
          nowMs,
        });
      });
      // The revocation already counts (mTLS reads the table); the CRL follows right after.
      await regenerateCrl(await get(tenantId));
      return { ...cert, revokedAt: nowMs, revocationReason: reason };
    },

    async getCertificate(tenantId, serial) {
      const cert = /^[0-9A-Fa-f]{1,64}$/.test(serial)
        ? await findCertificate(db, tenantId, normalizeSerial(serial))
        : undefined;
      if (!cert) throw pkiErrors.certificateNotFound();
      return cert;
    },

    listCertificates: (tenantId, q) => listCertificates(db, tenantId, { ...q, nowMs: clock.nowMs() }),

    async crl(tenantId) {
      const ca = await get(tenantId);
      const c = ca.crl;
      if (c && c.nextUpdate !== null && clock.nowMs() - c.thisUpdate < CRL_REFRESH_MS)
        return { der: c.der, thisUpdate: c.thisUpdate, nextUpdate: c.nextUpdate };
      return regenerateCrl(ca);
    },
  };
};

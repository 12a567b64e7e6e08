import { randomBytes, type X509Certificate } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import { pemOrBase64Reader } from '../core/pem.js';
import { recordEvent } from '../events/index.js';
import { type Db, isForeignKeyViolation, isUniqueViolation } from '../store/store.js';
import { pkiErrors } from './pki-errors.js';
import { deleteCa, findCa, insertCa, listCas, updateCa } from './pki-repo-cas.js';
import type { Ca } from './pki-types.js';
import { caCertificate } from './pki-verify.js';
import { certFacts, nameHash, parseOneCertificatePem, x509 } from './pki-x509.js';

/** How long a verification code can be used (a new one can be requested at any time). */
export const VERIFICATION_CODE_TTL_MS = 24 * 3600 * 1000;
export const MAX_CA_NAME_LENGTH = 200;

export interface PkiCasService {
  /** Registers a root or intermediate CA certificate, unverified, with a fresh verification code. */
  register(tenantId: string, input: { certificate: string; name?: string | undefined }): Promise<Ca>;
  list(tenantId: string, q: { offset: number; limit: number }): Promise<Ca[]>;
  get(tenantId: string, id: string): Promise<Ca>;
  /** Proof of possession: a certificate with CN = the code, signed by the CA's key. */
  verify(tenantId: string, id: string, input: { certificate: string }): Promise<Ca>;
  regenerateCode(tenantId: string, id: string): Promise<Ca>;
  update(tenantId: string, id: string, input: { enabled?: boolean; name?: string }): Promise<Ca>;
  remove(tenantId: string, id: string): Promise<void>;
  /** Stores a CRL signed by the CA (newer than the one stored); the chain verifier consults it. */
  uploadCrl(tenantId: string, id: string, input: { crl: string }): Promise<Ca>;
}

const newCode = () => randomBytes(20).toString('hex').toUpperCase();

const checkName = (name: string | undefined): string | null => {
  if (name === undefined) return null;
  const n = name.trim();
  if (n.length > MAX_CA_NAME_LENGTH) throw pkiErrors.badRequest(`name longer than ${MAX_CA_NAME_LENGTH}`);
  return n === '' ? null : n;
};

/** Did `issuer` sign `cert` (names, key ids, then signature)? */
const signedBy = (cert: X509Certificate, issuer: X509Certificate): boolean => {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false;
  }
};

export const createPkiCasService = (deps: { db: Db; clock: Clock }): PkiCasService => {
  const { db, clock } = deps;

  const mustGet = async (tenantId: string, id: string): Promise<Ca> => {
    const ca = isUuid(id) ? await findCa(db, tenantId, id) : undefined;
    if (!ca) throw pkiErrors.caNotFound();
    return ca;
  };

  return {
    async register(tenantId, input) {
      const cert = parseOneCertificatePem(input.certificate, 'CA certificate');
      const f = certFacts(cert);
      const nowMs = clock.nowMs();
      if (!f.isCa) throw pkiErrors.notACa();
      if (f.keyUsage !== undefined && (f.keyUsage & x509.KeyUsageFlags.keyCertSign) === 0)
        throw pkiErrors.badCertificate('CA certificate: its key usage does not allow signing certificates');
      if (nowMs > f.notAfter) throw pkiErrors.expired('CA certificate');
      const ca: Ca = {
        id: newId(),
        tenantId,
        kind: 'uploaded',
        name: checkName(input.name),
        certPem: f.pem,
        fingerprint: f.fingerprint,
        subject: f.subject,
        issuer: f.issuer,
        serial: f.serial,
        notBefore: f.notBefore,
        notAfter: f.notAfter,
        status: 'unverified',
        enabled: true,
        verificationCode: newCode(),
        verificationCodeExpiresAt: nowMs + VERIFICATION_CODE_TTL_MS,
        verifiedAt: null,
        certValidityDays: null,
        crl: null,
        createdAt: nowMs,
        updatedAt: nowMs,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await insertCa(tx, { ca, subjectHash: nameHash(f.subject), privateKeySealed: null });
          await recordEvent(tx, {
            tenantId,
            type: 'pki.ca_registered',
            payload: { ca_id: ca.id, subject: ca.subject, fingerprint: ca.fingerprint },
            nowMs,
          });
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw pkiErrors.duplicateCa();
        throw e;
      }
      return ca;
    },

    list: (tenantId, q) => listCas(db, tenantId, q),
    get: mustGet,

    async verify(tenantId, id, input) {
      const ca = await mustGet(tenantId, id);
      if (ca.status === 'verified') throw pkiErrors.alreadyVerified();
      const nowMs = clock.nowMs();
      const code = ca.verificationCode;
      if (!code || (ca.verificationCodeExpiresAt ?? 0) < nowMs)
        throw pkiErrors.verificationFailed('the verification code has expired, request a new one');
      const proof = parseOneCertificatePem(input.certificate, 'verification certificate');
      if (!signedBy(proof, caCertificate(ca)))
        throw pkiErrors.verificationFailed('the verification certificate is not signed by this CA');
      const pf = certFacts(proof);
      if (nowMs < pf.notBefore || nowMs > pf.notAfter)
        throw pkiErrors.verificationFailed('the verification certificate is not currently valid');
      if ((pf.cn ?? '').toUpperCase() !== code)
        throw pkiErrors.verificationFailed(
          'the CN of the verification certificate is not the verification code',
        );
      await db.transaction().execute(async (tx) => {
        const patch = {
          status: 'verified' as const,
          verificationCode: null,
          verificationCodeExpiresAt: null,
          verifiedAt: nowMs,
          updatedAt: nowMs,
        };
        // Single use: a concurrent verification or a regenerated code makes this a no-op.
        if (!(await updateCa(tx, tenantId, id, patch, code)))
          throw pkiErrors.verificationFailed('the verification code is no longer valid');
        await recordEvent(tx, {
          tenantId,
          type: 'pki.ca_verified',
          payload: { ca_id: id, subject: ca.subject, fingerprint: ca.fingerprint },
          nowMs,
        });
      });
      return mustGet(tenantId, id);
    },

    async regenerateCode(tenantId, id) {
      const ca = await mustGet(tenantId, id);
      if (ca.status === 'verified') throw pkiErrors.alreadyVerified();
      const nowMs = clock.nowMs();
      const patch = {
        verificationCode: newCode(),
        verificationCodeExpiresAt: nowMs + VERIFICATION_CODE_TTL_MS,
      };
      if (!(await updateCa(db, tenantId, id, { ...patch, updatedAt: nowMs }))) throw pkiErrors.caNotFound();
      return mustGet(tenantId, id);
    },

    async update(tenantId, id, input) {
      await mustGet(tenantId, id);
      const nowMs = clock.nowMs();
      const patch = {
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        ...(input.name !== undefined ? { name: checkName(input.name) } : {}),
        updatedAt: nowMs,
      };
      await db.transaction().execute(async (tx) => {
        if (!(await updateCa(tx, tenantId, id, patch))) throw pkiErrors.caNotFound();
        await recordEvent(tx, {
          tenantId,
          type: 'pki.ca_updated',
          payload: { ca_id: id, ...(input.enabled !== undefined ? { enabled: input.enabled } : {}) },
          nowMs,
        });
      });
      return mustGet(tenantId, id);
    },

    async remove(tenantId, id) {
      const ca = await mustGet(tenantId, id);
      if (ca.kind === 'builtin') throw pkiErrors.builtinUndeletable();
      const nowMs = clock.nowMs();
      try {
        await db.transaction().execute(async (tx) => {
          if (!(await deleteCa(tx, tenantId, id))) throw pkiErrors.caNotFound();
          await recordEvent(tx, {
            tenantId,
            type: 'pki.ca_removed',
            payload: { ca_id: id, fingerprint: ca.fingerprint },
            nowMs,
          });
        });
      } catch (e) {
        // Enrollment groups refer to their CA with a foreign key.
        if (isForeignKeyViolation(e)) throw pkiErrors.caInUse();
        throw e;
      }
    },

    async uploadCrl(tenantId, id, input) {
      const ca = await mustGet(tenantId, id);
      if (ca.kind === 'builtin') throw pkiErrors.badCrl('the built-in CA publishes its own CRL');
      const crl = parseCrl(input.crl);
      const caCert = new x509.X509Certificate(caCertificate(ca).raw);
      let signed = false;
      try {
        signed = crl.issuer === caCert.subject && (await crl.verify({ publicKey: caCert }));
      } catch {
        signed = false;
      }
      if (!signed) throw pkiErrors.badCrl('not issued and signed by this CA');
      const thisUpdate = crl.thisUpdate.getTime();
      if (ca.crl && ca.crl.thisUpdate >= thisUpdate) throw pkiErrors.badCrl('not newer than the stored CRL');
      const nowMs = clock.nowMs();
      const stored = {
        der: Buffer.from(crl.rawData),
        thisUpdate,
        nextUpdate: crl.nextUpdate?.getTime() ?? null,
      };
      await db.transaction().execute(async (tx) => {
        if (!(await updateCa(tx, tenantId, id, { crl: stored, updatedAt: nowMs })))
          throw pkiErrors.badCrl('not newer than the stored CRL');
        await recordEvent(tx, {
          tenantId,
          type: 'pki.ca_crl_uploaded',
          payload: { ca_id: id, entries: crl.entries.length, this_update: crl.thisUpdate.toISOString() },
          nowMs,
        });
      });
      return mustGet(tenantId, id);
    },
  };
};

/** A CRL given as PEM (`X509 CRL`) or base64 DER. */
const crlBase64 = pemOrBase64Reader('X509 CRL');
const parseCrl = (text: string): x509.X509Crl => {
  const b64 = crlBase64(text);
  if (b64 === undefined || b64.length > 4 * 1024 * 1024) throw pkiErrors.badCrl('expected PEM or base64 DER');
  try {
    return new x509.X509Crl(Buffer.from(b64, 'base64'));
  } catch (e) {
    throw pkiErrors.badCrl('not a valid CRL', (e as Error).message);
  }
};

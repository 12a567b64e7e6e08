import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { safeEqual, sha256Hex } from '../core/hash.js';
import { isUuid, newId } from '../core/ids.js';
import { recordEvent } from '../events/index.js';
import { type Db, isUniqueViolation } from '../store/store.js';
import { pkiErrors } from './pki-errors.js';
import {
  deleteCredential,
  findCredentialByName,
  insertCredential,
  listCredentials,
} from './pki-repo-credentials.js';
import type { EnrollmentCredential } from './pki-types.js';

/** The Basic-auth user name: no ':' (RFC 7617) and nothing a shell or URL would mangle. */
export const CREDENTIAL_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export interface PkiCredentialsService {
  /** Creates a credential; the secret is returned here only, and stored only as a hash. */
  create(
    tenantId: string,
    input: { name: string; expiresAt?: number | undefined; maxUses?: number | undefined },
  ): Promise<{ credential: EnrollmentCredential; secret: string }>;
  list(tenantId: string): Promise<EnrollmentCredential[]>;
  remove(tenantId: string, id: string): Promise<void>;
  /** The credential these Basic-auth values name, if the secret matches and it is still usable. */
  authenticate(tenantId: string, name: string, secret: string): Promise<EnrollmentCredential | null>;
}

// The secret is 192 random bits, so an unsalted SHA-256 is as good as a password hash here.
const DUMMY_HASH = sha256Hex('no such credential');

export const createPkiCredentialsService = (deps: { db: Db; clock: Clock }): PkiCredentialsService => {
  const { db, clock } = deps;
  return {
    async create(tenantId, input) {
      if (!CREDENTIAL_NAME.test(input.name))
        throw pkiErrors.badRequest('name must be 1..64 characters of A-Z a-z 0-9 . _ @ -');
      const nowMs = clock.nowMs();
      if (input.expiresAt !== undefined && input.expiresAt <= nowMs)
        throw pkiErrors.badRequest('expires_at must be in the future');
      const secret = randomBytes(24).toString('base64url');
      const credential: EnrollmentCredential = {
        id: newId(),
        tenantId,
        name: input.name,
        expiresAt: input.expiresAt ?? null,
        maxUses: input.maxUses ?? null,
        uses: 0,
        createdAt: nowMs,
        lastUsedAt: null,
      };
      try {
        await db.transaction().execute(async (tx) => {
          await insertCredential(tx, credential, sha256Hex(secret));
          await recordEvent(tx, {
            tenantId,
            type: 'pki.enrollment_credential_created',
            payload: { credential_id: credential.id, name: credential.name },
            nowMs,
          });
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw pkiErrors.duplicateCredential();
        throw e;
      }
      return { credential, secret };
    },

    list: (tenantId) => listCredentials(db, tenantId),

    async remove(tenantId, id) {
      const nowMs = clock.nowMs();
      await db.transaction().execute(async (tx) => {
        if (!isUuid(id) || !(await deleteCredential(tx, tenantId, id))) throw pkiErrors.credentialNotFound();
        await recordEvent(tx, {
          tenantId,
          type: 'pki.enrollment_credential_removed',
          payload: { credential_id: id },
          nowMs,
        });
      });
    },

    async authenticate(tenantId, name, secret) {
      const found = CREDENTIAL_NAME.test(name) ? await findCredentialByName(db, tenantId, name) : undefined;
      // Compare even for an unknown name, so the answer time does not tell which names exist.
      const matches = safeEqual(sha256Hex(secret), found?.secretHash ?? DUMMY_HASH) && found !== undefined;
      if (!matches || !found) return null;
      const c = found.credential;
      const nowMs = clock.nowMs();
      if (c.expiresAt !== null && c.expiresAt <= nowMs) return null;
      if (c.maxUses !== null && c.uses >= c.maxUses) return null;
      return c;
    },
  };
};

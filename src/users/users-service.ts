import type { Clock } from '../core/clock.js';
import { isUuid, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from '../core/password.js';
import { type Db, isUniqueViolation } from '../store/store.js';
import type { TokenKit } from '../tokens/token-kit.js';
import { usersErrors } from './users-errors.js';
import type { LoginLimits } from './users-login-limits.js';
import {
  deleteUserRow,
  deleteUserToken,
  deleteUserTokens,
  deleteUserTokensExcept,
  findLiveUserToken,
  findUser,
  findUserForLogin,
  insertUser,
  insertUserToken,
  listUsers,
  listUserTokens,
  liveUserTokenIds,
  setLoginAt,
  touchUserToken,
  updateUserRow,
} from './users-repo.js';
import { createUserSettings, type UserSettings } from './users-settings.js';
import {
  type Role,
  roles,
  type TenantNames,
  type User,
  type UserPrincipal,
  type UserToken,
} from './users-types.js';

export const MAX_PATS_PER_USER = 10;
export const MAX_PAT_SECONDS = 31_536_000;
const PAT_TOUCH_INTERVAL_MS = 5 * 60_000;
const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

export interface UsersService {
  /** The web UI's settings, per tenant and per user (users-settings.ts). */
  settings: UserSettings;
  create(input: { tenantId: string; email: string; password: string; role?: string }): Promise<User>;
  /**
   * `address` is the client's (`req.ip`), which failed logins are counted against; in-process
   * callers without one (tests, tools) are not limited.
   */
  login(email: string, password: string, address?: string): Promise<string>;
  logout(p: UserPrincipal): Promise<void>;
  list(tenantId: string): Promise<User[]>;
  get(tenantId: string, id: string): Promise<User>;
  /** The caller and their tenant (the console's who-am-I). */
  me(p: UserPrincipal): Promise<{ user: User; tenant: { id: string; name: string } }>;
  /**
   * Changes email and/or password. A new password ends every token of the user (sessions and
   * personal access tokens) except the one that made the change, when that is the user's own
   * (`by`): whoever learnt the old password must not keep access through a token minted with it.
   * Changing one's own password needs `currentPassword` (an admin setting another user's does not);
   * a wrong one counts as a failed login from `address` (docs/limits.md), so a stolen session
   * cannot guess the password faster than a login could.
   */
  update(
    tenantId: string,
    id: string,
    patch: { email?: string; password?: string; currentPassword?: string },
    by?: Pick<UserPrincipal, 'userId' | 'tokenId'>,
    address?: string,
  ): Promise<void>;
  remove(tenantId: string, id: string): Promise<void>;
  createPat(p: UserPrincipal, input: { name: string; expiresInSeconds?: number }): Promise<string>;
  listPats(p: UserPrincipal): Promise<UserToken[]>;
  revokePat(p: UserPrincipal, id: string): Promise<void>;
  checkToken(token: string): Promise<UserPrincipal | null>;
  /** Which of these token ids are still valid (for long-lived requests: event streams). */
  liveTokenIds(ids: readonly string[]): Promise<Set<string>>;
}

export const createUsersService = (deps: {
  db: Db;
  clock: Clock;
  logger: Pick<Logger, 'warn'>;
  tokens: Pick<TokenKit, 'sign' | 'verify'>;
  userTokenTtlSeconds: number;
  maxSessionsPerUser: number;
  /** Limits on failed logins (docs/limits.md); none: unlimited. */
  limits?: LoginLimits;
  /** Tenant names (the tenants domain's port). */
  tenants?: TenantNames;
}): UsersService => {
  const { db, clock, tokens } = deps;

  const normaliseEmail = (email: string) => {
    const e = email.trim().toLowerCase();
    if (e.length > 254 || !EMAIL_RE.test(e)) throw usersErrors.badEmail();
    return e;
  };
  const checkPassword = (password: string, email: string) => {
    if (password.length < 8 || password.length > 256) throw usersErrors.badPassword();
    if (password.toLowerCase() === email) throw usersErrors.passwordLikeEmail();
  };

  const issue = async (
    user: User,
    kind: 'session' | 'pat',
    name: string | null,
    expiresAt: number | null,
  ) => {
    const jti = newId();
    const token = await tokens.sign(
      { sub: user.id, jti, 'mender.user': true, 'mender.tenant': user.tenantId, scp: 'mender.*' },
      expiresAt ?? undefined,
    );
    return {
      jti,
      token,
      row: {
        id: jti,
        tenantId: user.tenantId,
        userId: user.id,
        kind,
        name,
        expiresAt,
        createdAt: clock.nowMs(),
        lastUsedAt: null,
      },
    };
  };

  const mustGet = async (tenantId: string, id: string) => {
    const u = isUuid(id) ? await findUser(db, tenantId, id) : undefined;
    if (!u) throw usersErrors.notFound();
    return u;
  };

  return {
    settings: createUserSettings({ db, clock }),
    async create({ tenantId, email, password, role = 'admin' }) {
      const e = normaliseEmail(email);
      checkPassword(password, e);
      if (!(roles as readonly string[]).includes(role)) throw usersErrors.badRole();
      const nowMs = clock.nowMs();
      const user: User = {
        id: newId(),
        tenantId,
        email: e,
        role: role as Role,
        createdAt: nowMs,
        updatedAt: nowMs,
        loginAt: null,
      };
      const hash = await hashPassword(password);
      try {
        await insertUser(db, user, hash);
      } catch (err) {
        if (isUniqueViolation(err)) throw usersErrors.duplicateEmail();
        throw err;
      }
      return user;
    },

    async login(email, password, address) {
      // Before anything is looked up, for known and unknown accounts alike.
      const attempt = address !== undefined ? await deps.limits?.gate(email, address) : undefined;
      const found = email.length <= 254 ? await findUserForLogin(db, email.trim().toLowerCase()) : undefined;
      // Verify against a dummy hash for unknown users so response time does not reveal which emails exist.
      const ok = await verifyPassword(password, found?.passwordHash ?? DUMMY_PASSWORD_HASH);
      if (!found || !ok)
        throw attempt && deps.limits ? await deps.limits.failed(attempt) : usersErrors.loginFailed();
      if (attempt) await deps.limits?.succeeded(attempt);
      const nowMs = clock.nowMs();
      const issued = await issue(found.user, 'session', null, nowMs + deps.userTokenTtlSeconds * 1000);
      await db.transaction().execute(async (tx) => {
        await insertUserToken(tx, issued.row);
        const sessions = await listUserTokens(tx, found.user.id, 'session');
        const excess = sessions.length - deps.maxSessionsPerUser;
        if (excess > 0)
          await deleteUserTokens(
            tx,
            sessions.slice(0, excess).map((s) => s.id),
          );
        await setLoginAt(tx, found.user.id, nowMs);
      });
      return issued.token;
    },

    async logout(p) {
      await deleteUserToken(db, p.userId, p.tokenId);
    },

    list: (tenantId) => listUsers(db, tenantId),
    get: mustGet,

    async me(p) {
      const user = await mustGet(p.tenantId, p.userId);
      const name = deps.tenants ? await deps.tenants.nameOf(p.tenantId) : '';
      return { user, tenant: { id: p.tenantId, name } };
    },

    async update(tenantId, id, patch, by, address) {
      const current = await mustGet(tenantId, id);
      const email = patch.email !== undefined ? normaliseEmail(patch.email) : undefined;
      let passwordHash: string | undefined;
      if (patch.password !== undefined) {
        checkPassword(patch.password, email ?? current.email);
        if (by?.userId === id) {
          // Whoever holds a session (stolen, or a forgotten browser) must not be able to take the
          // account: with the other tokens ending below, that would lock the owner out.
          const attempt = address !== undefined ? await deps.limits?.gate(current.email, address) : undefined;
          const found = await findUserForLogin(db, current.email);
          const ok = await verifyPassword(
            patch.currentPassword ?? '',
            found?.user.id === id ? found.passwordHash : DUMMY_PASSWORD_HASH,
          );
          if (!ok || found?.user.id !== id) {
            const refusal = attempt && deps.limits ? await deps.limits.failed(attempt) : undefined;
            throw refusal?.status === 429 ? refusal : usersErrors.currentPasswordMismatch();
          }
          if (attempt) await deps.limits?.succeeded(attempt);
        }
        passwordHash = await hashPassword(patch.password);
      }
      try {
        await db.transaction().execute(async (tx) => {
          await updateUserRow(tx, id, { email, passwordHash, nowMs: clock.nowMs() });
          if (passwordHash !== undefined)
            await deleteUserTokensExcept(tx, id, by?.userId === id ? by.tokenId : undefined);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw usersErrors.duplicateEmail();
        throw err;
      }
    },

    async remove(tenantId, id) {
      if (!isUuid(id) || !(await deleteUserRow(db, tenantId, id))) throw usersErrors.notFound();
    },

    async createPat(p, { name, expiresInSeconds = 0 }) {
      if (name.length < 1 || name.length > 100) throw usersErrors.badTokenName();
      if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 0 || expiresInSeconds > MAX_PAT_SECONDS) {
        throw usersErrors.badExpiry();
      }
      const user = await mustGet(p.tenantId, p.userId);
      const nowMs = clock.nowMs();
      const issued = await issue(
        user,
        'pat',
        name,
        expiresInSeconds > 0 ? nowMs + expiresInSeconds * 1000 : null,
      );
      await db.transaction().execute(async (tx) => {
        const existing = await listUserTokens(tx, user.id, 'pat');
        if (existing.some((t) => t.name === name)) throw usersErrors.duplicateTokenName();
        if (existing.length >= MAX_PATS_PER_USER) throw usersErrors.tooManyTokens(MAX_PATS_PER_USER);
        try {
          await insertUserToken(tx, issued.row);
        } catch (err) {
          if (isUniqueViolation(err)) throw usersErrors.duplicateTokenName();
          throw err;
        }
      });
      return issued.token;
    },

    listPats: (p) => listUserTokens(db, p.userId, 'pat'),

    async revokePat(p, id) {
      const pats = await listUserTokens(db, p.userId, 'pat');
      if (!pats.some((t) => t.id === id) || !(await deleteUserToken(db, p.userId, id)))
        throw usersErrors.tokenNotFound();
    },

    async checkToken(token) {
      const claims = await tokens.verify(token);
      if (claims?.['mender.user'] !== true || typeof claims.jti !== 'string') return null;
      const nowMs = clock.nowMs();
      const found = await findLiveUserToken(db, claims.jti, nowMs);
      if (!found || found.user.id !== claims.sub) return null;
      const { token: t, user } = found;
      if (t.kind === 'pat' && nowMs - (t.lastUsedAt ?? 0) > PAT_TOUCH_INTERVAL_MS) {
        // Off the request path: a lost touch only makes "last used" older. Said, not hidden.
        touchUserToken(db, t.id, nowMs).catch((err: unknown) =>
          deps.logger.warn({ err }, 'personal access token last-use write failed'),
        );
      }
      return {
        tenantId: t.tenantId,
        userId: user.id,
        email: user.email,
        role: user.role,
        tokenId: t.id,
        tokenKind: t.kind,
      };
    },

    liveTokenIds: (ids) => liveUserTokenIds(db, ids, clock.nowMs()),
  };
};

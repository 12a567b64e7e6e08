import type { TableRow } from '../store/schema.js';
import { type Executor, num, numOrNull } from '../store/store.js';
import type { Role, User, UserToken, UserTokenKind } from './users-types.js';

const userColumns = ['id', 'tenant_id', 'email', 'role', 'created_at', 'updated_at', 'login_at'] as const;

const toUser = (r: TableRow<'users', (typeof userColumns)[number]>): User => ({
  id: r.id,
  tenantId: r.tenant_id,
  email: r.email,
  role: r.role as Role,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
  loginAt: numOrNull(r.login_at),
});

export const insertUser = async (db: Executor, u: User, passwordHash: string): Promise<void> => {
  await db
    .insertInto('users')
    .values({
      id: u.id,
      tenant_id: u.tenantId,
      email: u.email,
      password_hash: passwordHash,
      role: u.role,
      created_at: u.createdAt,
      updated_at: u.updatedAt,
      login_at: u.loginAt,
    })
    .execute();
};

export const findUserForLogin = async (
  db: Executor,
  email: string,
): Promise<{ user: User; passwordHash: string } | undefined> => {
  const r = await db
    .selectFrom('users')
    .select([...userColumns, 'password_hash'])
    .where('email', '=', email)
    .executeTakeFirst();
  return r ? { user: toUser(r), passwordHash: r.password_hash } : undefined;
};

export const findUser = async (db: Executor, tenantId: string, id: string): Promise<User | undefined> => {
  const r = await db
    .selectFrom('users')
    .select(userColumns)
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r ? toUser(r) : undefined;
};

export const listUsers = async (db: Executor, tenantId: string): Promise<User[]> =>
  (
    await db
      .selectFrom('users')
      .select(userColumns)
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  ).map(toUser);

export const deleteUserRow = async (db: Executor, tenantId: string, id: string): Promise<boolean> => {
  const res = await db
    .deleteFrom('users')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
};

export const setLoginAt = async (db: Executor, id: string, nowMs: number): Promise<void> => {
  await db.updateTable('users').set({ login_at: nowMs }).where('id', '=', id).execute();
};

export const updateUserRow = async (
  db: Executor,
  id: string,
  patch: { email?: string; passwordHash?: string; nowMs: number },
): Promise<void> => {
  await db
    .updateTable('users')
    .set({
      updated_at: patch.nowMs,
      ...(patch.email !== undefined ? { email: patch.email } : {}),
      ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
    })
    .where('id', '=', id)
    .execute();
};

const toToken = (r: TableRow<'user_tokens'>): UserToken => ({
  id: r.id,
  tenantId: r.tenant_id,
  userId: r.user_id,
  kind: r.kind as UserTokenKind,
  name: r.name,
  expiresAt: numOrNull(r.expires_at),
  createdAt: num(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
});

export const insertUserToken = async (db: Executor, t: UserToken): Promise<void> => {
  await db
    .insertInto('user_tokens')
    .values({
      id: t.id,
      tenant_id: t.tenantId,
      user_id: t.userId,
      kind: t.kind,
      name: t.name,
      expires_at: t.expiresAt,
      created_at: t.createdAt,
      last_used_at: t.lastUsedAt,
    })
    .execute();
};

/** Token + owner in one indexed read: what every management request costs. */
export const findLiveUserToken = async (
  db: Executor,
  id: string,
  nowMs: number,
): Promise<{ token: UserToken; user: User } | undefined> => {
  const r = await db
    .selectFrom('user_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select([
      't.id',
      't.tenant_id',
      't.user_id',
      't.kind',
      't.name',
      't.expires_at',
      't.created_at',
      't.last_used_at',
      'u.email as u_email',
      'u.role as u_role',
      'u.created_at as u_created_at',
      'u.updated_at as u_updated_at',
      'u.login_at as u_login_at',
    ])
    .where('t.id', '=', id)
    .executeTakeFirst();
  if (!r) return undefined;
  const token = toToken(r);
  if (token.expiresAt !== null && token.expiresAt <= nowMs) return undefined;
  return {
    token,
    user: toUser({
      id: r.user_id,
      tenant_id: r.tenant_id,
      email: r.u_email,
      role: r.u_role,
      created_at: r.u_created_at,
      updated_at: r.u_updated_at,
      login_at: r.u_login_at,
    }),
  };
};

export const listUserTokens = async (
  db: Executor,
  userId: string,
  kind: UserTokenKind,
): Promise<UserToken[]> =>
  (
    await db
      .selectFrom('user_tokens')
      .selectAll()
      .where('user_id', '=', userId)
      .where('kind', '=', kind)
      .orderBy('created_at')
      .orderBy('id')
      .execute()
  ).map(toToken);

export const deleteUserToken = async (db: Executor, userId: string, id: string): Promise<boolean> => {
  const res = await db
    .deleteFrom('user_tokens')
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
};

export const deleteUserTokens = async (db: Executor, ids: string[]): Promise<void> => {
  if (ids.length > 0) await db.deleteFrom('user_tokens').where('id', 'in', ids).execute();
};

/** Ends every token of a user (sessions and personal access tokens) but `keepId`. */
export const deleteUserTokensExcept = async (
  db: Executor,
  userId: string,
  keepId: string | undefined,
): Promise<void> => {
  let q = db.deleteFrom('user_tokens').where('user_id', '=', userId);
  if (keepId !== undefined) q = q.where('id', '<>', keepId);
  await q.execute();
};

export const touchUserToken = async (db: Executor, id: string, nowMs: number): Promise<void> => {
  await db.updateTable('user_tokens').set({ last_used_at: nowMs }).where('id', '=', id).execute();
};

/** Which of these token ids still name an unexpired token (a deleted user's tokens are gone with it). */
export const liveUserTokenIds = async (
  db: Executor,
  ids: readonly string[],
  nowMs: number,
): Promise<Set<string>> => {
  const out = new Set<string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectFrom('user_tokens')
      .select('id')
      .where('id', 'in', unique.slice(i, i + 500))
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowMs)]))
      .execute();
    for (const r of rows) out.add(r.id);
  }
  return out;
};

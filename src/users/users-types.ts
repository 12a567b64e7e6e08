export const roles = ['admin', 'readonly'] as const;
export type Role = (typeof roles)[number];

export interface User {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  createdAt: number;
  updatedAt: number;
  loginAt: number | null;
}

export type UserTokenKind = 'session' | 'pat';

export interface UserToken {
  id: string;
  tenantId: string;
  userId: string;
  kind: UserTokenKind;
  name: string | null;
  expiresAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

/** Who is behind a valid management token. */
export interface UserPrincipal {
  tenantId: string;
  userId: string;
  email: string;
  role: Role;
  tokenId: string;
  tokenKind: UserTokenKind;
}

/** Tenant names (the tenants domain offers them): a login answers with its tenant's. */
export interface TenantNames {
  nameOf(tenantId: string): Promise<string>;
}

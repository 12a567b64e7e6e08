import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import { isUuid, newId } from '../core/ids.js';
import type { Db } from '../store/store.js';
import type { TokenKit } from '../tokens/token-kit.js';
import { findTenant, insertTenant, listTenants, type Tenant, updateTenant } from './tenants-repo.js';

/** The tenant every install has; devices without a tenant token belong to it. */
export const DEFAULT_TENANT_ID = '00000000-0000-4000-8000-000000000000';
export const MAX_TENANT_NAME_LENGTH = 100;

const TENANT_TOKEN_CLAIM = 'gatehouse.tenant_token';

export const tenantErrors = {
  notFound: () => new AppError('TENANT_NOT_FOUND', 404, 'tenant not found'),
  badName: () =>
    new AppError('TENANT_BAD_NAME', 400, `tenant name must be 1..${MAX_TENANT_NAME_LENGTH} characters`),
  badLimit: () =>
    new AppError('TENANT_BAD_LIMIT', 400, 'max_devices must be -1 (unlimited) or a non-negative integer'),
  /** Mender's message for an unknown/malformed tenant token at device auth. */
  badTenantToken: () =>
    new AppError('TENANT_TOKEN_INVALID', 401, 'dev auth: unauthorized', { detail: 'invalid tenant token' }),
};

export interface TenantsService {
  create(input: { name: string; maxDevices?: number }): Promise<{ tenant: Tenant; tenantToken: string }>;
  get(id: string): Promise<Tenant>;
  list(): Promise<Tenant[]>;
  setMaxDevices(id: string, maxDevices: number): Promise<void>;
  /** The device tenant token of a tenant (re-derivable: only its id is stored). */
  tenantToken(id: string): Promise<string>;
  /** Replaces a tenant's token; the old one stops working at once. */
  rotateTenantToken(id: string): Promise<string>;
  /**
   * Tenant of a device auth request: an empty token means the default tenant; anything else
   * must be a current token of an existing tenant, else 401.
   */
  resolveTenantToken(token: string): Promise<string>;
  /**
   * Why resolveTenantToken refused a token, and whose audit log says so: the tenant of a token
   * that Gatehouse signed and that was replaced since (`rotated_token`); the default tenant for a
   * token of no tenant that exists (`unknown_tenant`) or not issued here (`invalid_token`).
   */
  refusedTenantToken(
    token: string,
  ): Promise<{ tenantId: string; reason: 'rotated_token' | 'unknown_tenant' | 'invalid_token' }>;
}

export const createTenantsService = (deps: {
  db: Db;
  clock: Clock;
  tokens: Pick<TokenKit, 'sign' | 'verify'>;
}): TenantsService => {
  const { db, clock, tokens } = deps;

  const mustGet = async (id: string): Promise<Tenant> => {
    const t = isUuid(id) ? await findTenant(db, id) : undefined;
    if (!t) throw tenantErrors.notFound();
    return t;
  };

  const sign = (t: Tenant) =>
    tokens.sign({ sub: t.id, jti: t.tenantTokenId, 'mender.tenant': t.id, [TENANT_TOKEN_CLAIM]: true });

  const checkLimit = (n: number) => {
    if (!Number.isInteger(n) || n < -1 || n > 1_000_000_000) throw tenantErrors.badLimit();
  };

  return {
    async create({ name, maxDevices = -1 }) {
      const trimmed = name.trim();
      if (trimmed.length === 0 || trimmed.length > MAX_TENANT_NAME_LENGTH) throw tenantErrors.badName();
      checkLimit(maxDevices);
      const tenant: Tenant = {
        id: newId(),
        name: trimmed,
        maxDevices,
        tenantTokenId: newId(),
        createdAt: clock.nowMs(),
      };
      await insertTenant(db, tenant);
      return { tenant, tenantToken: await sign(tenant) };
    },
    get: mustGet,
    list: () => listTenants(db),
    async setMaxDevices(id, maxDevices) {
      checkLimit(maxDevices);
      await mustGet(id);
      await updateTenant(db, id, { maxDevices });
    },
    async tenantToken(id) {
      return sign(await mustGet(id));
    },
    async rotateTenantToken(id) {
      const t = await mustGet(id);
      const rotated = { ...t, tenantTokenId: newId() };
      await updateTenant(db, id, { tenantTokenId: rotated.tenantTokenId });
      return sign(rotated);
    },
    async resolveTenantToken(token) {
      if (token === '') return DEFAULT_TENANT_ID;
      const claims = await tokens.verify(token);
      if (claims?.[TENANT_TOKEN_CLAIM] !== true || typeof claims.sub !== 'string') {
        throw tenantErrors.badTenantToken();
      }
      const t = await findTenant(db, claims.sub);
      if (!t || t.tenantTokenId !== claims.jti) throw tenantErrors.badTenantToken();
      return t.id;
    },
    async refusedTenantToken(token) {
      const claims = token === '' ? null : await tokens.verify(token);
      if (claims?.[TENANT_TOKEN_CLAIM] !== true || typeof claims.sub !== 'string')
        return { tenantId: DEFAULT_TENANT_ID, reason: 'invalid_token' };
      const t = isUuid(claims.sub) ? await findTenant(db, claims.sub) : undefined;
      return t
        ? { tenantId: t.id, reason: 'rotated_token' }
        : { tenantId: DEFAULT_TENANT_ID, reason: 'unknown_tenant' };
    },
  };
};

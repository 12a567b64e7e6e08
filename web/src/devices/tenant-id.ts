import { tokenStore } from '../shared/api';
import { useAuth } from '../shared/auth';

/** The tenant's id (bootstrap routes name it in the path): from users/me, else the token's claim. */
export const useTenantId = (): string | null => {
  const { me, token } = useAuth();
  if (me?.tenant?.id) return me.tenant.id;
  const t = token ?? tokenStore.get();
  const payload = t?.split('.')[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const tenant = json['mender.tenant'];
    return typeof tenant === 'string' && tenant ? tenant : null;
  } catch {
    return null;
  }
};

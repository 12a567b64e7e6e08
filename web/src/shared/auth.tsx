import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { api, setUnauthorizedHandler, tokenStore } from './api';

export interface Me {
  id: string;
  email: string;
  role: 'admin' | 'readonly' | string;
  tenant: { id: string; name?: string | null };
}

interface AuthState {
  token: string | null;
  me: Me | null;
  /** False for read-only users: screens hide what would fail with 403. */
  canWrite: boolean;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

export const LOGIN_PATH = '/api/management/v1/useradm/auth/login';
export const ME_PATH = '/api/management/v1/useradm/users/me';

const basic = (email: string, password: string): string => {
  const bytes = new TextEncoder().encode(`${email}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
};

export const AuthProvider = ({ children }: { children: ReactNode }) => {
  const [token, setToken] = useState<string | null>(() => tokenStore.get());
  const qc = useQueryClient();

  const drop = useCallback(() => {
    tokenStore.clear();
    setToken(null);
    qc.clear();
  }, [qc]);

  useEffect(() => setUnauthorizedHandler(drop), [drop]);

  const me = useQuery({
    queryKey: ['me', token],
    queryFn: () => api<Me>(ME_PATH),
    enabled: token !== null,
    staleTime: 60_000,
  });

  const login = useCallback(async (email: string, password: string) => {
    const t = await api<string>(LOGIN_PATH, {
      method: 'POST',
      headers: { Authorization: basic(email, password) },
    });
    const clean = String(t).trim();
    tokenStore.set(clean);
    setToken(clean);
  }, []);

  const logout = useCallback(async () => {
    try {
      await api('/api/management/v1/useradm/auth/logout', { method: 'POST' });
    } catch {
      // The token is dropped here whatever the server said.
    }
    drop();
  }, [drop]);

  const value = useMemo<AuthState>(
    () => ({
      token,
      me: me.data ?? null,
      canWrite: me.data ? me.data.role !== 'readonly' : false,
      login,
      logout,
    }),
    [token, me.data, login, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
};

export const useAuth = (): AuthState => {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
};

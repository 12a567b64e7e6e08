import { useQuery } from '@tanstack/react-query';
import { api } from '../shared/api';

export const USERS_PATH = '/api/management/v1/useradm/users';
export const TOKENS_PATH = '/api/management/v1/useradm/settings/tokens';

export interface User {
  id: string;
  email: string;
  role: string;
  created_ts: string;
  updated_ts: string;
  login_ts?: string;
}

export interface AccessToken {
  id: string;
  name: string;
  created_ts: string;
  expiration_date?: string;
  last_used?: string;
}

export const userPath = (id: string) => `${USERS_PATH}/${encodeURIComponent(id)}`;

export const useUsers = () => useQuery({ queryKey: ['users'], queryFn: () => api<User[]>(USERS_PATH) });

export const useTokens = () =>
  useQuery({ queryKey: ['users', 'tokens'], queryFn: () => api<AccessToken[]>(TOKENS_PATH) });

export const ROLE_LABELS: Record<string, string> = { admin: 'admin', readonly: 'read-only' };

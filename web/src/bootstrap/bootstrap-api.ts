import { useQuery } from '@tanstack/react-query';
import { api } from '../shared/api';
import { useAuth } from '../shared/auth';

/**
 * Magistrala-compatible bootstrap management, at /bootstrap/{domainID}/...: the domain id is the
 * tenant id (any other answers 404), with the user's bearer token like the rest of the API.
 */
export const bootstrapBase = (tenantId: string) => `/bootstrap/${encodeURIComponent(tenantId)}`;

/** The base path of the logged-in user's tenant, or null until users/me has answered. */
export const useBootstrapBase = (): string | null => {
  const { me } = useAuth();
  const tenantId = me?.tenant?.id;
  return tenantId ? bootstrapBase(tenantId) : null;
};

export type TemplateMode = 'none' | 'text' | 'json';

export interface ConfigChannel {
  id: string;
  name?: string;
  metadata?: Record<string, unknown>;
  connected: boolean;
}

export interface BootstrapConfig {
  client_id: string;
  external_id: string;
  name?: string;
  content?: string;
  content_template: TemplateMode;
  /** Magistrala's state: 1 = its client is connected to its channels. Delivery is `held`'s. */
  state: number;
  /** true = the device routes refuse it (Gatehouse's hold). */
  held: boolean;
  channels: ConfigChannel[];
  client_cert?: string;
  ca_cert?: string;
  has_client_key: boolean;
  device_id?: string;
  created_at: string;
  updated_at: string;
}

export interface ConfigList {
  total: number;
  offset: number;
  limit: number;
  configs: BootstrapConfig[];
}

export interface Channel {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface ChannelList {
  total: number;
  offset: number;
  limit: number;
  channels: Channel[];
}

/** Query keys start with 'bootstrap': live `bootstrap.*` events refresh them. */
export const bootstrapKeys = {
  configs: (filter: Record<string, unknown>) => ['bootstrap', 'configs', filter] as const,
  channels: (offset: number) => ['bootstrap', 'channels', offset] as const,
  allChannels: ['bootstrap', 'channels', 'all'] as const,
};

export const PAGE_SIZE = 20;
/** The API's largest page. */
const MAX_LIMIT = 100;

/** Every channel of the tenant (for pickers), 100 a request. */
export const useAllChannels = () => {
  const base = useBootstrapBase();
  return useQuery({
    queryKey: bootstrapKeys.allChannels,
    enabled: base !== null,
    queryFn: async () => {
      const out: Channel[] = [];
      for (let offset = 0; offset < 10_000; offset += MAX_LIMIT) {
        const page = await api<ChannelList>(`${base}/channels`, { query: { offset, limit: MAX_LIMIT } });
        out.push(...page.channels);
        if (page.channels.length < MAX_LIMIT || out.length >= page.total) break;
      }
      return out;
    },
  });
};

/** A random external key: 24 bytes, base64url (what `openssl rand -base64 24` gives, URL-safe). */
export const randomKey = (): string => {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

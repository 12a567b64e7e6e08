import { ApiError, api } from '../shared/api';

/** The PKI part of the management API (CAs, the built-in CA, issued certificates, EST credentials). */
export const PKI = '/api/management/v1/pki';

export interface Ca {
  id: string;
  name: string | null;
  kind: 'uploaded' | 'builtin';
  status: 'unverified' | 'verified';
  enabled: boolean;
  subject: string;
  issuer: string;
  serial: string;
  fingerprint: string;
  not_before: string;
  not_after: string;
  verification_code?: string;
  verification_code_expires_at?: string;
  verified_at: string | null;
  cert_validity_days?: number;
  crl_this_update: string | null;
  crl_next_update: string | null;
  certificate: string;
  created_at: string;
  updated_at: string;
}

export interface IssuedCertificate {
  serial: string;
  ca_id: string;
  subject: string;
  cn: string | null;
  fingerprint: string;
  not_before: string;
  not_after: string;
  issued_via: string;
  credential_id: string | null;
  device_id: string | null;
  replaces_serial: string | null;
  revoked_at: string | null;
  revocation_reason: string | null;
  certificate: string;
  created_at: string;
}

export interface EnrollmentCredential {
  id: string;
  name: string;
  expires_at: string | null;
  max_uses: number | null;
  uses: number;
  created_at: string;
  last_used_at: string | null;
}

export type CreatedCredential = EnrollmentCredential & { secret: string };

export const REVOCATION_REASONS = [
  { value: 'unspecified', label: 'Unspecified' },
  { value: 'keyCompromise', label: 'Key compromised' },
  { value: 'affiliationChanged', label: 'Affiliation changed' },
  { value: 'superseded', label: 'Superseded' },
  { value: 'cessationOfOperation', label: 'No longer in operation' },
  { value: 'privilegeWithdrawn', label: 'Privilege withdrawn' },
];

/** Query keys: all start with 'pki', so live `pki.*` events refresh them. */
export const pkiKeys = {
  all: ['pki'] as const,
  cas: (page: number) => ['pki', 'cas', page] as const,
  allCas: ['pki', 'cas', 'all'] as const,
  ca: (id: string) => ['pki', 'ca', id] as const,
  builtin: ['pki', 'builtin'] as const,
  certificates: (status: string, page: number) => ['pki', 'certificates', status, page] as const,
  credentials: ['pki', 'credentials'] as const,
};

export const CA_PAGE_SIZE = 20;

/** The built-in CA, or null when the tenant has not enabled one. */
export const fetchBuiltinCa = async (): Promise<Ca | null> => {
  try {
    return await api<Ca>(`${PKI}/builtin-ca`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
};

/** Every CA of the tenant (for selects); the API pages by at most 500. */
export const fetchAllCas = async (): Promise<Ca[]> => {
  const out: Ca[] = [];
  for (let page = 1; page <= 20; page++) {
    const items = await api<Ca[]>(`${PKI}/cas`, { query: { page, per_page: 500 } });
    out.push(...items);
    if (items.length < 500) break;
  }
  return out;
};

/** A CA as people name it: its name, else the CN of its subject, else the whole subject. */
export const caLabel = (ca: Pick<Ca, 'name' | 'subject'>): string =>
  ca.name || cnOf(ca.subject) || formatDn(ca.subject);

/** Node prints names one attribute a line (`C=DE\nO=Acme\nCN=root`); people read them on one line. */
export const formatDn = (dn: string): string =>
  dn
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(', ');

export const cnOf = (dn: string): string | null => /(?:^|\n)CN=([^\n]+)/.exec(dn)?.[1] ?? null;

export const isExpired = (iso: string): boolean => new Date(iso).getTime() < Date.now();

/** Enrollment groups, individual enrollments, registrations and allocation webhooks (docs/enrollment.md). */
export const ENROLLMENT = '/api/management/v1/enrollment';
export const ALLOCATION = '/api/management/v1/allocation-webhooks';

export type IdentitySource = 'cn' | 'subject' | 'serial' | 'fingerprint';
export type TemplateMode = 'none' | 'text' | 'json';

export interface GroupBootstrap {
  content: string;
  content_template: TemplateMode | string;
  channels: string[];
  /** The created config's client connected to its channels (Magistrala's state 1). */
  active: boolean;
  /** The created config held (delivers nothing); null = the tenant's bootstrap default. */
  held?: boolean | null;
}

export interface EnrollmentGroup {
  id: string;
  name: string;
  ca_id: string;
  enabled: boolean;
  identity: { attribute: string; source: IdentitySource | string };
  inventory_group: string | null;
  tags: Record<string, string>;
  bootstrap: GroupBootstrap | null;
  allocation_webhook_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface IndividualEnrollment {
  id: string;
  registration_id: string;
  enabled: boolean;
  group_id: string | null;
  certificate_fingerprint: string | null;
  inventory_group: string | null;
  tags: Record<string, string> | null;
  created_at: string;
  updated_at: string;
}

export interface Registration {
  device_id: string;
  registration_id: string;
  ca_id: string;
  enrollment_group_id: string | null;
  individual_enrollment_id: string | null;
  certificate: { subject: string; serial: string; fingerprint: string; not_after: string };
  created_at: string;
  updated_at: string;
}

export interface AllocationWebhook {
  id: string;
  url: string;
  description: string;
  timeout_ms: number;
  created_at: string;
  updated_at: string;
}

export type AllocationWithSecret = AllocationWebhook & { secret: string };

export interface AllocationDecision {
  decision: 'allow' | 'deny';
  reason?: string;
  overrides?: { group?: string; tags?: Record<string, string>; bootstrap_config?: Record<string, unknown> };
}

export const IDENTITY_SOURCES = [
  { value: 'cn', label: 'Subject common name (CN)' },
  { value: 'subject', label: 'Whole subject (e.g. CN=dev-1,O=Acme)' },
  { value: 'serial', label: 'Serial number (hex)' },
  { value: 'fingerprint', label: 'SHA-256 fingerprint' },
];

export const TEMPLATE_MODES = [
  { value: 'none', label: 'Verbatim (no template)' },
  { value: 'text', label: 'Text template' },
  { value: 'json', label: 'JSON template (values escaped)' },
];

/** Query keys start with 'enrollment' / 'allocation' so live enrollment events refresh them. */
export const enrollmentKeys = {
  groups: (page: number) => ['enrollment', 'groups', page] as const,
  allGroups: ['enrollment', 'groups', 'all'] as const,
  groupsOfCa: (caId: string) => ['enrollment', 'groups', 'ca', caId] as const,
  individuals: (groupId: string, page: number) => ['enrollment', 'individuals', groupId, page] as const,
  registrations: (groupId: string, page: number) => ['enrollment', 'registrations', groupId, page] as const,
  webhooks: (page: number) => ['allocation', 'webhooks', page] as const,
  allWebhooks: ['allocation', 'webhooks', 'all'] as const,
};

export const PAGE_SIZE = 20;

/** `name=value` lines ⇄ a tags object. */
export const tagsToText = (tags: Record<string, string> | null | undefined): string =>
  tags
    ? Object.entries(tags)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')
    : '';

export const parseTags = (text: string): { tags: Record<string, string>; error: string | null } => {
  const tags: Record<string, string> = {};
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of lines) {
    const i = line.indexOf('=');
    if (i <= 0) return { tags, error: `“${line}” is not name=value` };
    tags[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  if (Object.keys(tags).length > 20) return { tags, error: 'at most 20 tags' };
  return { tags, error: null };
};

export const INVENTORY_GROUP_PATTERN = /^[A-Za-z0-9_-]+$/;
